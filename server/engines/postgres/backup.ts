import { readFile } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';

import { EngineError, type EngineBackup, type EngineBackupResult, type EngineBackupTo, type EngineRunOptions } from '../engine';
import { describeExit, type ProcessExit, type SpawnedProcess } from '@/server/process';

import { pgDumpArgs, versionArgs } from './argv';
import { toolFailureCode } from './classify-error';
import { withClient } from './client';
import type { PostgresConfig, PostgresSecrets } from './config';
import { createProgressReporter } from './progress';
import { spawnFailure, spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';

export type { PostgresToolOptions } from './run-tool';

/** Every `pg_dump -Fc` archive starts with these bytes; anything else is not a dump we can restore. */
const CUSTOM_FORMAT_MAGIC = Buffer.from('PGDMP', 'ascii');
/** Recorded in the manifest: restore with `pg_restore` (any version >= the dumping pg_dump). */
export const POSTGRES_DUMP_FORMAT = 'pg_dump-custom';

// Slack between pg_dump and storage: smooths bursty uploads without holding much memory per run.
const OUTPUT_BUFFER_BYTES = 1024 * 1024;
// The size/version query is a nicety; never let it hold up reporting a finished dump for longer than this.
const METADATA_TIMEOUT_MS = 10_000;

interface SourceMetadata {
  serverVersion?: string;
  sizeBytes?: number;
}

/**
 * Streams `pg_dump -Fc` of `config.database`. See `Engine.backup` for the contract; in short the stream
 * errors (never ends cleanly) unless pg_dump exited 0 and produced a non-empty custom-format archive.
 */
export function backupPostgres(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): EngineBackup {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('backup', options.onProgress);

  let bytes = 0;
  let header = Buffer.alloc(0);
  let failure: EngineError | undefined;
  // Declared before fail() (which kills it) and assigned only after the already-aborted check.
  // eslint-disable-next-line prefer-const
  let dump: SpawnedProcess | undefined;
  let metadataPromise: Promise<SourceMetadata | undefined> = Promise.resolve(undefined);
  let toolVersionPromise: Promise<string | undefined> = Promise.resolve(undefined);
  let resolveDone!: (result: EngineBackupResult) => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<EngineBackupResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Whoever awaits `done` still sees the rejection; this only keeps an unawaited one from crashing the worker.
  done.catch(() => undefined);

  const output = new Transform({
    readableHighWaterMark: OUTPUT_BUFFER_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      if (header.length < CUSTOM_FORMAT_MAGIC.length) {
        header = Buffer.concat([header, chunk.subarray(0, CUSTOM_FORMAT_MAGIC.length - header.length)]);
        if (header.length === CUSTOM_FORMAT_MAGIC.length && !header.equals(CUSTOM_FORMAT_MAGIC)) {
          callback(fail(new EngineError('EMPTY_OUTPUT', 'pg_dump output is not a custom-format archive (bad header)')));
          return;
        }
      }
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
    flush(callback) {
      // stdout has ended; the archive is only good once we know how pg_dump exited.
      void exitedOrNow().then(async (exit) => {
        const problem = failure ?? outcomeError(exit);
        if (problem !== undefined) {
          callback(fail(problem));
          return;
        }
        const [metadata, toolVersion] = await Promise.all([metadataPromise, toolVersionPromise]);
        progress.flush();
        resolveDone({
          bytes,
          durationMs: Date.now() - startedAt,
          format: POSTGRES_DUMP_FORMAT,
          ...(metadata?.serverVersion !== undefined && { serverVersion: metadata.serverVersion }),
          ...(metadata?.sizeBytes !== undefined && { sourceSizeBytes: metadata.sizeBytes }),
          ...(toolVersion !== undefined && { toolVersion }),
        });
        callback();
      });
    },
  });
  // As with `done`: consumers attach their own listeners (pipeline does); this one only prevents a crash.
  output.on('error', () => undefined);

  /**
   * Records the first failure, stops the child and makes `stream` error. `done` rejects once the child is
   * gone, so a caller that sees the rejection knows no pg_dump is left running.
   */
  function fail(err: EngineError): EngineError {
    if (failure !== undefined) return failure;
    failure = err;
    dump?.kill();
    if (!output.destroyed) output.destroy(err);
    // The version probe too: a caller told "it failed" may check that no pg_dump of ours is left running.
    void Promise.all([exitedOrNow(), toolVersionPromise]).then(() => rejectDone(err));
    return err;
  }

  function exitedOrNow(): Promise<ProcessExit | undefined> {
    return dump?.exited ?? Promise.resolve(undefined);
  }

  function outcomeError(exit: ProcessExit | undefined): EngineError | undefined {
    if (exit === undefined) return new EngineError('TOOL_FAILED', 'pg_dump was not started');
    if (exit.spawnError !== undefined) return spawnFailure('pg_dump', tools, exit.spawnError);
    if (exit.code !== 0) {
      const detail = summarizeStderr('pg_dump', exit.stderrTail) || describeExit(exit);
      return new EngineError(toolFailureCode(exit.stderrTail), `pg_dump failed: ${detail}`);
    }
    if (bytes === 0) return new EngineError('EMPTY_OUTPUT', 'pg_dump exited successfully but produced no output');
    if (bytes < CUSTOM_FORMAT_MAGIC.length) return new EngineError('EMPTY_OUTPUT', `pg_dump produced only ${bytes} bytes`);
    return undefined;
  }

  if (signal?.aborted) {
    fail(new EngineError('CANCELLED', 'backup cancelled before it started'));
    return { stream: output, done };
  }

  dump = spawnPgTool('pg_dump', pgDumpArgs(config, { compress: options.compress }), tools, secrets, { stdin: 'ignore', stdout: 'pipe' });
  dump.stdout?.pipe(output);

  void dump.exited.then((exit) => {
    // A clean exit is judged in flush (after the last byte); a failed one is reported right away.
    if (exit.spawnError !== undefined || exit.code !== 0) {
      const problem = outcomeError(exit);
      if (problem !== undefined) fail(problem);
    }
  });

  const onAbort = () => fail(new EngineError('CANCELLED', 'backup cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  void dump.exited.then(() => signal?.removeEventListener('abort', onAbort));

  // The consumer (storage) gave up: nobody will read the rest, so stop the dump.
  output.once('close', () => {
    if (failure === undefined && !output.readableEnded) {
      fail(new EngineError('CANCELLED', 'backup output was closed before the dump finished'));
    }
  });

  // Best effort, in parallel with the dump: an estimate for the progress bar and facts for the manifest.
  metadataPromise = withTimeout(readSourceMetadata(config, secrets), METADATA_TIMEOUT_MS).then((metadata) => {
    progress.setEstimatedTotal(metadata?.sizeBytes);
    return metadata;
  });
  toolVersionPromise = withTimeout(readToolVersion('pg_dump', tools), METADATA_TIMEOUT_MS);

  return { stream: output, done };
}

// How often backupTo samples the kernel's count of what pg_dump wrote, for the progress bar.
const PROC_IO_SAMPLE_MS = 250;

/**
 * `pg_dump -Fc` written straight into `sink` (see `Engine.backupTo`): the archive goes from pg_dump to the next
 * tool through the kernel, without a hop through this process. Progress comes from `/proc/<pid>/io` (`wchar`, what
 * pg_dump has written so far) where the kernel offers it; elsewhere the bar simply stays at 0 until the end.
 */
export function backupPostgresTo(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  sink: Writable,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): EngineBackupTo {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('backup', options.onProgress);
  if (signal?.aborted) {
    const done = Promise.reject(new EngineError('CANCELLED', 'backup cancelled before it started'));
    done.catch(() => undefined);
    return { done, kill: () => undefined };
  }

  const dump = spawnPgTool('pg_dump', pgDumpArgs(config, { compress: options.compress }), tools, secrets, { stdin: 'ignore', stdout: sink });
  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    dump.kill();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const metadataPromise = withTimeout(readSourceMetadata(config, secrets), METADATA_TIMEOUT_MS).then((metadata) => {
    progress.setEstimatedTotal(metadata?.sizeBytes);
    return metadata;
  });
  const toolVersionPromise = withTimeout(readToolVersion('pg_dump', tools), METADATA_TIMEOUT_MS);

  const sampler = dump.child.pid === undefined ? undefined : setInterval(() => void sampleWritten(dump.child.pid!), PROC_IO_SAMPLE_MS);
  sampler?.unref();
  let lastWritten = 0;
  async function sampleWritten(pid: number): Promise<void> {
    const written = await bytesWrittenBy(pid);
    if (written !== undefined && written > lastWritten) {
      lastWritten = written;
      progress.update(written);
    }
  }

  const done = dump.exited.then(async (exit): Promise<EngineBackupResult> => {
    clearInterval(sampler);
    // Settled on every path, so that once `done` settles no pg_dump of ours (not even `--version`) is running.
    const toolVersion = await toolVersionPromise;
    signal?.removeEventListener('abort', onAbort);
    if (cancelled) throw new EngineError('CANCELLED', 'backup cancelled');
    if (exit.spawnError !== undefined) throw spawnFailure('pg_dump', tools, exit.spawnError);
    if (exit.code !== 0) {
      const detail = summarizeStderr('pg_dump', exit.stderrTail) || describeExit(exit);
      throw new EngineError(toolFailureCode(exit.stderrTail), `pg_dump failed: ${detail}`);
    }
    const metadata = await metadataPromise;
    progress.flush();
    return {
      durationMs: Date.now() - startedAt,
      format: POSTGRES_DUMP_FORMAT,
      ...(metadata?.serverVersion !== undefined && { serverVersion: metadata.serverVersion }),
      ...(metadata?.sizeBytes !== undefined && { sourceSizeBytes: metadata.sizeBytes }),
      ...(toolVersion !== undefined && { toolVersion }),
    };
  });
  done.catch(() => undefined);
  return { done, kill: () => dump.kill() };
}

/** `wchar` of /proc/<pid>/io: bytes the process has written so far (its stderr too, which is a few lines at most). */
async function bytesWrittenBy(pid: number): Promise<number | undefined> {
  try {
    const match = /^wchar:\s*(\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    // Not Linux, or the process is gone: progress is a nicety.
    return undefined;
  }
}

async function readSourceMetadata(config: PostgresConfig, secrets: PostgresSecrets): Promise<SourceMetadata | undefined> {
  try {
    return await withClient(config, secrets, config.database, async (client) => {
      const { rows } = await client.query<{ version: string; size: string }>(
        "select current_setting('server_version') as version, pg_database_size(current_database())::text as size",
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return { serverVersion: row.version, sizeBytes: Number(row.size) };
    });
  } catch {
    // If the server is unreachable, pg_dump will say so with a better message.
    return undefined;
  }
}

/** `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` → the whole first line, or undefined. No password: it never connects. */
export async function readToolVersion(tool: 'pg_dump' | 'pg_restore', tools: PostgresToolOptions): Promise<string | undefined> {
  const child = spawnPgTool(tool, versionArgs(), tools, {}, { stdin: 'ignore', stdout: 'pipe' });
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
