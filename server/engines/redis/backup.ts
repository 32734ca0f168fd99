import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { EngineError, isEngineError, type EngineBackup, type EngineBackupResult, type EngineBackupTo, type EngineRunOptions } from '../engine';
import { describeExit, type ProcessExit, type SpawnedProcess } from '@/server/process';
import { toolArtifact } from '@/server/process/tool-artifact';

import { classifyRedisFailure, rdbArgs, spawnFailure, spawnRedisTool, summarizeStderr, toolEnv, type RedisToolOptions } from './cli';
import { keyspace, parseInfo, redisError, withRedis, type RedisEndpoint } from './client';
import { describeServer, type RedisConfig, type RedisSecrets } from './config';
import { createProgressReporter } from '../progress';

/** Every RDB file starts with `REDIS` and a four-digit version (`REDIS0010`). */
const RDB_MAGIC = Buffer.from('REDIS', 'ascii');
/** Recorded in the manifest: load with `redis-server` (same or newer version) or check with `redis-check-rdb`. */
export const REDIS_RDB_FORMAT = 'redis-rdb';

const OUTPUT_BUFFER_BYTES = 1024 * 1024;
const METADATA_TIMEOUT_MS = 10_000;
/** How long a BGSAVE may take before the backup gives up waiting for LASTSAVE to advance. */
const BGSAVE_TIMEOUT_MS = 30 * 60 * 1000;
const BGSAVE_POLL_MS = 200;

interface SourceMetadata {
  serverVersion?: string;
  sizeBytes?: number;
  /** `EngineBackupResult.details`: keys per database (`INFO keyspace`) and `used_memory`, read as the snapshot starts. */
  details?: { keys: Record<string, number>; usedMemory?: number };
}

const endpointOf = (config: RedisConfig, secrets: RedisSecrets): RedisEndpoint => ({
  host: config.host,
  port: config.port,
  tls: config.tls,
  ...(config.username !== undefined && { username: config.username }),
  ...(secrets.password !== undefined && { password: secrets.password }),
});

/**
 * Streams `redis-cli --rdb -` (an RDB snapshot over the replication protocol: no file access on the server needed).
 * The stream errors (never ends cleanly) unless redis-cli exited 0 and produced output starting with the RDB magic.
 * With `config.bgsave`, BGSAVE runs first and the snapshot starts once LASTSAVE advanced.
 */
export function backupRedis(config: RedisConfig, secrets: RedisSecrets, options: EngineRunOptions = {}, tools: RedisToolOptions = {}): EngineBackup {
  const startedAt = Date.now();
  const progress = createProgressReporter('backup', options.onProgress);

  let header = Buffer.alloc(0);
  let metadataPromise: Promise<SourceMetadata | undefined> = Promise.resolve(undefined);
  let toolVersionPromise: Promise<string | undefined> = Promise.resolve(undefined);

  function outcomeError(exit: ProcessExit | undefined, bytes: number): EngineError | undefined {
    if (exit === undefined) return new EngineError('TOOL_FAILED', 'redis-cli was not started');
    const failed = cliFailure(config, tools, exit);
    if (failed !== undefined) return failed;
    if (bytes === 0) return new EngineError('EMPTY_OUTPUT', 'redis-cli exited successfully but produced no output');
    if (bytes < RDB_MAGIC.length) return new EngineError('EMPTY_OUTPUT', `redis-cli produced only ${bytes} bytes`);
    return undefined;
  }

  const backup = toolArtifact<EngineBackupResult, ProcessExit>({
    signal: options.signal,
    readableHighWaterMark: OUTPUT_BUFFER_BYTES,
    onBytes: (bytes) => progress.update(bytes),
    inspect: (chunk) => {
      if (header.length >= RDB_MAGIC.length) return undefined;
      header = Buffer.concat([header, chunk.subarray(0, RDB_MAGIC.length - header.length)]);
      return header.length === RDB_MAGIC.length && !header.equals(RDB_MAGIC) ? new EngineError('EMPTY_OUTPUT', 'redis-cli output is not an RDB snapshot (bad header)') : undefined;
    },
    start: async ({ failed, spawned }) => {
      if (config.bgsave) await bgsaveAndWait(config, secrets, options.signal);
      if (failed()) return;
      const dump = spawnRedisTool('redis-cli', rdbArgs(config), tools, toolEnv(secrets), { stdout: 'pipe' });
      spawned({ stdout: dump.stdout, exited: dump.exited, kill: () => dump.kill() });
    },
    // The byte count does not matter here: only a failed exit is judged before the flush.
    exitError: (exit) => (exit.spawnError !== undefined || exit.code !== 0 ? outcomeError(exit, 0) : undefined),
    finalError: outcomeError,
    finish: async (bytes) => {
      const [metadata, toolVersion] = await Promise.all([metadataPromise, toolVersionPromise]);
      progress.flush();
      return {
        bytes,
        durationMs: Date.now() - startedAt,
        format: REDIS_RDB_FORMAT,
        ...(metadata?.serverVersion !== undefined && { serverVersion: metadata.serverVersion }),
        ...(metadata?.sizeBytes !== undefined && { sourceSizeBytes: metadata.sizeBytes }),
        ...(toolVersion !== undefined && { toolVersion }),
        ...(metadata?.details !== undefined && { details: metadata.details }),
      };
    },
    afterFailure: () => toolVersionPromise,
    startError: (err) => (isEngineError(err) ? err : redisError(err, config)),
    cancelled: (message) => new EngineError('CANCELLED', message),
    closedEarly: 'backup output was closed before the snapshot finished',
  });
  // Cancelled before it started: nothing more is read.
  if (options.signal?.aborted) return backup;

  metadataPromise = withTimeout(readSourceMetadata(config, secrets), METADATA_TIMEOUT_MS).then((metadata) => {
    progress.setEstimatedTotal(metadata?.sizeBytes);
    return metadata;
  });
  toolVersionPromise = withTimeout(readToolVersion(tools), METADATA_TIMEOUT_MS);
  return backup;
}

/**
 * `redis-cli --rdb` written straight into `sink` (see `Engine.backupTo`): the snapshot goes from redis-cli to the
 * next tool through the kernel. Its header is not checked here (the bytes never pass through this process); the
 * verify step (redis-check-rdb) does that.
 */
export function backupRedisTo(config: RedisConfig, secrets: RedisSecrets, sink: Writable, options: EngineRunOptions = {}, tools: RedisToolOptions = {}): EngineBackupTo {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('backup', options.onProgress);
  if (signal?.aborted) {
    const done = Promise.reject(new EngineError('CANCELLED', 'backup cancelled before it started'));
    done.catch(() => undefined);
    return { done, kill: () => undefined };
  }
  let dump: SpawnedProcess | undefined;
  let cancelled = false;
  let killed = false;
  const onAbort = () => {
    cancelled = true;
    dump?.kill();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const metadataPromise = withTimeout(readSourceMetadata(config, secrets), METADATA_TIMEOUT_MS);
  const toolVersionPromise = withTimeout(readToolVersion(tools), METADATA_TIMEOUT_MS);

  const done = (async (): Promise<EngineBackupResult> => {
    try {
      if (config.bgsave) await bgsaveAndWait(config, secrets, signal);
      if (cancelled || killed) throw new EngineError('CANCELLED', 'backup cancelled');
      dump = spawnRedisTool('redis-cli', rdbArgs(config), tools, toolEnv(secrets), { stdout: sink });
      const exit = await dump.exited;
      if (cancelled) throw new EngineError('CANCELLED', 'backup cancelled');
      const failed = cliFailure(config, tools, exit);
      if (failed !== undefined) throw failed;
      const metadata = await metadataPromise;
      progress.flush();
      return {
        durationMs: Date.now() - startedAt,
        format: REDIS_RDB_FORMAT,
        ...(metadata?.serverVersion !== undefined && { serverVersion: metadata.serverVersion }),
        ...(metadata?.sizeBytes !== undefined && { sourceSizeBytes: metadata.sizeBytes }),
        ...((await toolVersionPromise) !== undefined && { toolVersion: await toolVersionPromise }),
        ...(metadata?.details !== undefined && { details: metadata.details }),
      };
    } finally {
      await toolVersionPromise;
      signal?.removeEventListener('abort', onAbort);
    }
  })();
  done.catch(() => undefined);
  return {
    done,
    kill: () => {
      killed = true;
      dump?.kill();
    },
  };
}

function cliFailure(config: RedisConfig, tools: RedisToolOptions, exit: ProcessExit): EngineError | undefined {
  if (exit.spawnError !== undefined) return spawnFailure('redis-cli', tools, exit.spawnError);
  if (exit.code === 0) return undefined;
  const detail = summarizeStderr(exit.stderrTail) || describeExit(exit);
  const code = classifyRedisFailure(exit.stderrTail);
  const what =
    code === 'AUTH_FAILED'
      ? `Redis at ${describeServer(config)} refused the login`
      : code === 'CONNECTION_FAILED'
        ? `cannot reach Redis at ${describeServer(config)}`
        : `redis-cli --rdb failed against ${describeServer(config)}`;
  return new EngineError(code, `${what}: ${detail}`);
}

/**
 * BGSAVE, then wait until LASTSAVE is later than before (and the save did not fail). `BGSAVE SCHEDULE` waits for a
 * running AOF rewrite instead of refusing; while another RDB child runs (a save, or a replica's sync) it is asked again.
 */
export async function bgsaveAndWait(config: RedisConfig, secrets: RedisSecrets, signal?: AbortSignal): Promise<void> {
  await withRedis(
    endpointOf(config, secrets),
    async (client) => {
      const before = Number(await client.lastsave());
      // LASTSAVE counts seconds: a save finishing within the second of the last one would not advance it.
      const [serverNow] = await client.time();
      if (Number(serverNow) <= before) await sleep(1100, undefined, { signal }).catch(() => undefined);
      const deadline = Date.now() + BGSAVE_TIMEOUT_MS;
      // "already in progress" may be a replica's sync (a diskless one counts as an RDB child but never moves
      // LASTSAVE): wait for it to end and ask again, so the save waited for is ours.
      for (;;) {
        try {
          await client.call('BGSAVE', 'SCHEDULE');
          break;
        } catch (err) {
          if (!/already in progress/i.test((err as Error).message)) throw err;
        }
        if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled while waiting for BGSAVE');
        if (Date.now() > deadline) throw new EngineError('TOOL_FAILED', `BGSAVE on ${describeServer(config)} could not start within ${BGSAVE_TIMEOUT_MS / 60_000} minutes`);
        await sleep(BGSAVE_POLL_MS);
      }
      for (;;) {
        if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled while waiting for BGSAVE');
        const now = Number(await client.lastsave());
        const persistence = parseInfo(await client.info('persistence'));
        if (now > before) {
          if (persistence.get('rdb_last_bgsave_status') === 'err') {
            throw new EngineError('TOOL_FAILED', `BGSAVE on ${describeServer(config)} failed (rdb_last_bgsave_status:err); see the server's log`);
          }
          return;
        }
        if (Date.now() > deadline) throw new EngineError('TOOL_FAILED', `BGSAVE on ${describeServer(config)} did not finish within ${BGSAVE_TIMEOUT_MS / 60_000} minutes`);
        await sleep(BGSAVE_POLL_MS);
      }
    },
    signal,
  );
}

async function readSourceMetadata(config: RedisConfig, secrets: RedisSecrets): Promise<SourceMetadata | undefined> {
  try {
    return await withRedis(endpointOf(config, secrets), async (client) => {
      const text = await client.info();
      const info = parseInfo(text);
      const version = info.get('redis_version');
      const used = Number(info.get('used_memory'));
      const usedMemory = Number.isFinite(used) && used > 0 ? used : undefined;
      // Read beside the snapshot, not from it: writes between this INFO and the fork may move the counts a little.
      const keys = Object.fromEntries([...keyspace(text)].sort(([a], [b]) => a - b).map(([db, n]) => [`db${db}`, n]));
      return {
        ...(version !== undefined && { serverVersion: version }),
        ...(usedMemory !== undefined && { sizeBytes: usedMemory }),
        details: { keys, ...(usedMemory !== undefined && { usedMemory }) },
      };
    });
  } catch {
    // redis-cli will say why with a better message.
    return undefined;
  }
}

/** `redis-cli 7.0.15`, or undefined. Never connects. */
export async function readToolVersion(tools: RedisToolOptions, tool: 'redis-cli' | 'redis-server' = 'redis-cli'): Promise<string | undefined> {
  const child = spawnRedisTool(tool, ['--version'], tools, {}, { stdout: 'pipe' });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exit = await child.exited;
  if (exit.code !== 0) return undefined;
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() || undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
