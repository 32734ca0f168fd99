import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Redis } from 'ioredis';

import { EngineError, isEngineError, type EngineRestoreOptions, type EngineRestoreResult } from '../engine';

import type { RedisToolOptions } from './cli';
import { connectRedis, keyspace, redisError, type RedisEndpoint } from './client';
import { describeServer, type RedisRestoreMode, type RedisRestoreTarget } from './config';
import { createProgressReporter } from './progress';
import { portInUse, startScratch, type ScratchInstance } from './scratch';

const RDB_MAGIC = Buffer.from('REDIS', 'ascii');
/** Keys per SCAN page and per DUMP/RESTORE pipeline during a replay. */
const REPLAY_BATCH = 500;
/** A replay's scratch instance lives only as long as the replay; this is its TTL should the replay hang. */
const REPLAY_SCRATCH_TTL_SECONDS = 24 * 60 * 60;

/** The mode a restore runs in: the target's own `mode`, else the request's, else `scratch`; both given must agree. */
export function resolveMode(target: RedisRestoreTarget, requested: string | undefined): RedisRestoreMode {
  const mode = target.mode ?? requested ?? 'scratch';
  if (mode !== 'scratch' && mode !== 'replay') throw new EngineError('INVALID_CONFIG', `unknown redis restore mode ${JSON.stringify(mode)}`);
  if (target.mode !== undefined && requested !== undefined && requested !== target.mode && requested !== 'scratch') {
    throw new EngineError('INVALID_CONFIG', `the restore mode ${JSON.stringify(requested)} contradicts target.mode ${JSON.stringify(target.mode)}`);
  }
  if (mode === 'replay' && target.host === undefined) throw new EngineError('INVALID_CONFIG', 'redis restore target is invalid: host: a replay needs the target host');
  if (mode === 'scratch' && (target.host !== undefined || target.username !== undefined || target.password !== undefined || target.destructive)) {
    throw new EngineError('INVALID_CONFIG', 'redis restore target is invalid: host, username, password and destructive are only for mode "replay"');
  }
  return mode;
}

/**
 * The request-time check: a scratch port must be free; a replay target must be reachable with its credentials
 * (whether its databases are empty is judged by the restore, which knows the snapshot's databases). Creates nothing.
 */
export async function checkRedisRestoreTarget(target: RedisRestoreTarget, mode: RedisRestoreMode, signal?: AbortSignal): Promise<void> {
  if (mode === 'scratch') {
    if (target.port !== undefined && (await portInUse(target.port))) {
      throw new EngineError('TARGET_EXISTS', `something already listens on 127.0.0.1:${target.port}; choose another port or leave it out`);
    }
    return;
  }
  const client = await connectRedis(replayEndpoint(target), signal);
  try {
    await client.ping().catch((err: unknown) => Promise.reject(redisError(err, { host: target.host!, port: target.port ?? 6379 })));
  } finally {
    client.disconnect();
  }
}

function replayEndpoint(target: RedisRestoreTarget): RedisEndpoint {
  return {
    host: target.host!,
    port: target.port ?? 6379,
    tls: target.tls,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
  };
}

/** Writes `input` to a new private directory as dump.rdb; resolves with the directory and the byte count. */
async function spoolSnapshot(input: Readable, options: EngineRestoreOptions): Promise<{ dir: string; bytes: number }> {
  const progress = createProgressReporter('restore', options.onProgress);
  // mkdtemp makes the directory 0700: the snapshot and the scratch instance's password stay the worker user's.
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-scratch-'));
  let bytes = 0;
  let header = Buffer.alloc(0);
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (header.length < RDB_MAGIC.length) header = Buffer.concat([header, chunk.subarray(0, RDB_MAGIC.length - header.length)]);
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, count, createWriteStream(path.join(dir, 'dump.rdb'), { mode: 0o600, flags: 'wx' }), { signal: options.signal });
    progress.flush();
    if (bytes === 0) throw new EngineError('EMPTY_OUTPUT', 'the snapshot is empty');
    if (!header.equals(RDB_MAGIC)) throw new EngineError('EMPTY_OUTPUT', 'not an RDB snapshot (bad header)');
    return { dir, bytes };
  } catch (err) {
    input.destroy();
    await rm(dir, { recursive: true, force: true });
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled');
    throw err;
  }
}

/** Restore into a scratch instance (see scratch.ts). The result carries its address, password and expiry. */
export async function restoreScratch(input: Readable, target: RedisRestoreTarget, options: EngineRestoreOptions, tools: RedisToolOptions): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  if (target.port !== undefined && (await portInUse(target.port))) {
    input.destroy();
    throw new EngineError('TARGET_EXISTS', `something already listens on 127.0.0.1:${target.port}; choose another port or leave it out`);
  }
  const { dir, bytes } = await spoolSnapshot(input, options);
  const instance = await startScratch({ dir, ttlSeconds: target.ttlSeconds, tools, ...(target.port !== undefined && { port: target.port }), ...(options.signal && { signal: options.signal }) });
  const keys = await withClient(instance, (c) => c.info('keyspace').then(keyspace)).catch(() => new Map<number, number>());
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    target: `scratch Redis at ${instance.address} until ${instance.expiresAt.toISOString()}`,
    result: {
      address: instance.address,
      password: instance.password,
      expiresAt: instance.expiresAt.toISOString(),
      keys: Object.fromEntries([...keys].map(([db, n]) => [`db${db}`, n])),
    },
  };
}

async function withClient<T>(instance: ScratchInstance, fn: (c: Redis) => Promise<T>, db = 0): Promise<T> {
  const c = await connectRedis({ host: instance.host, port: instance.port, password: instance.password, db });
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/**
 * Replay: load the snapshot into a private scratch instance, then copy every key of every database into the target
 * server with DUMP / PTTL / RESTORE (RESTORE … REPLACE when destructive). A target database that holds keys is
 * refused unless destructive, before anything is written. On failure in the non-destructive mode the keys written
 * so far are deleted again (they landed in databases that were empty). Key counts per database are compared at the end.
 */
export async function restoreReplay(input: Readable, target: RedisRestoreTarget, options: EngineRestoreOptions, tools: RedisToolOptions): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const endpoint = replayEndpoint(target);
  const where = describeServer({ host: endpoint.host, port: endpoint.port });
  // Reach the target before reading a byte: a wrong password or a dead server fails at once.
  let probe: Redis;
  try {
    probe = await connectRedis(endpoint, options.signal);
  } catch (err) {
    input.destroy();
    throw err;
  }
  probe.disconnect();

  const { dir, bytes } = await spoolSnapshot(input, options);
  const scratch = await startScratch({ dir, ttlSeconds: REPLAY_SCRATCH_TTL_SECONDS, tools, ...(options.signal && { signal: options.signal }) });
  const written = new Map<number, Buffer[]>();
  const copied = new Map<number, number>();
  try {
    const dbs = await withClient(scratch, (c) => c.info('keyspace').then(keyspace));
    // Every database first: refuse before writing anything.
    for (const db of dbs.keys()) {
      const size = await withTarget(endpoint, db, (t) => t.dbsize(), options.signal);
      if (size > 0 && !target.destructive) {
        throw new EngineError('TARGET_EXISTS', `database ${db} on ${where} already holds ${size} keys; replay into empty databases, or set destructive to replace keys`);
      }
    }
    for (const db of [...dbs.keys()].sort((a, b) => a - b)) {
      const keys: Buffer[] = [];
      written.set(db, keys);
      const n = await copyDatabase(scratch, endpoint, db, target.destructive, keys, options.signal);
      copied.set(db, n);
    }
    // The comparison the issue asks for: key count per database.
    if (!target.destructive) {
      for (const [db, n] of copied) {
        const size = await withTarget(endpoint, db, (t) => t.dbsize(), options.signal);
        if (size < n) throw new EngineError('TOOL_FAILED', `database ${db} on ${where} holds ${size} keys after the replay, expected ${n}`);
      }
    }
  } catch (err) {
    if (!target.destructive) await undoWritten(endpoint, written).catch(() => undefined);
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'replay cancelled');
    throw isEngineError(err) ? err : redisError(err, endpoint);
  } finally {
    await scratch.stop();
  }
  const total = [...copied.values()].reduce((a, b) => a + b, 0);
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    target: `${total} keys replayed into ${where}`,
    result: { address: where, keys: Object.fromEntries([...copied].map(([db, n]) => [`db${db}`, n])) },
  };
}

async function withTarget<T>(endpoint: RedisEndpoint, db: number, fn: (c: Redis) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const c = await connectRedis({ ...endpoint, db }, signal);
  try {
    return await fn(c);
  } catch (err) {
    throw redisError(err, endpoint);
  } finally {
    c.disconnect();
  }
}

async function copyDatabase(scratch: ScratchInstance, endpoint: RedisEndpoint, db: number, replace: boolean, written: Buffer[], signal?: AbortSignal): Promise<number> {
  const from = await connectRedis({ host: scratch.host, port: scratch.port, password: scratch.password, db });
  const to = await connectRedis({ ...endpoint, db }, signal).catch((err: unknown) => {
    from.disconnect();
    throw err;
  });
  let n = 0;
  try {
    let cursor = '0';
    do {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'replay cancelled');
      const [next, keys] = await from.scanBuffer(cursor, 'COUNT', REPLAY_BATCH);
      cursor = next.toString();
      if (keys.length === 0) continue;
      const read = from.pipeline();
      for (const key of keys) {
        read.dumpBuffer(key);
        read.pttl(key);
      }
      const answers = (await read.exec()) ?? [];
      const write = to.pipeline();
      const batch: Buffer[] = [];
      keys.forEach((key, i) => {
        const [dumpErr, dump] = answers[2 * i] ?? [];
        const [ttlErr, ttl] = answers[2 * i + 1] ?? [];
        if (dumpErr || ttlErr) throw dumpErr ?? ttlErr;
        // Gone in between (expired): nothing to copy.
        if (dump === null || ttl === -2) return;
        const args: (string | number | Buffer)[] = [key, Math.max(0, Number(ttl)), dump as Buffer];
        if (replace) args.push('REPLACE');
        write.call('RESTORE', ...args);
        batch.push(key);
      });
      const results = (await write.exec()) ?? [];
      for (const [err] of results) if (err) throw err;
      written.push(...batch);
      n += batch.length;
    } while (cursor !== '0');
    return n;
  } finally {
    from.disconnect();
    to.disconnect();
  }
}

async function undoWritten(endpoint: RedisEndpoint, written: Map<number, Buffer[]>): Promise<void> {
  for (const [db, keys] of written) {
    if (keys.length === 0) continue;
    await withTarget(endpoint, db, async (c) => {
      for (let i = 0; i < keys.length; i += REPLAY_BATCH) await c.del(...keys.slice(i, i + REPLAY_BATCH));
    });
  }
}
