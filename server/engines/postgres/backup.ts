import { readFile } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';

import { EngineError, type EngineBackup, type EngineBackupResult, type EngineBackupTo, type EngineRunOptions } from '../engine';
import { describeExit, type ProcessExit, type SpawnedProcess } from '@/server/process';

import { pgDumpallGlobalsArgs, pgDumpArgs } from './argv';
import { toolFailureCode } from './classify-error';
import { dumpContents, isMultiObject, type PostgresConfig, type PostgresSecrets } from './config';
import { prepareDump, type DumpPreparation } from './dump-session';
import { createProgressReporter } from '../progress';
import type { RowCountDetails } from './row-counts';
import { spawnFailure, spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';
import { versionMismatchError } from './version-check';

export type { PostgresToolOptions } from './run-tool';
export { readToolVersion } from './tool-version';

/** Every `pg_dump -Fc` archive starts with these bytes; anything else is not a dump we can restore. */
const CUSTOM_FORMAT_MAGIC = Buffer.from('PGDMP', 'ascii');
/** The first line pair of every `pg_dumpall` script (9.x to 17). */
const DUMPALL_MAGIC = Buffer.from('--\n-- PostgreSQL database cluster dump', 'ascii');
/** Recorded in the manifest: restore with `pg_restore` (any version >= the dumping pg_dump). */
export const POSTGRES_DUMP_FORMAT = 'pg_dump-custom';
/** Recorded for the `globals` object: a `pg_dumpall --globals-only` SQL script, applied by hand with `psql -f`. */
export const POSTGRES_GLOBALS_FORMAT = 'pg_dumpall-globals-sql';

// Slack between pg_dump and storage: smooths bursty uploads without holding much memory per run.
const OUTPUT_BUFFER_BYTES = 1024 * 1024;

/** One dump tool run: which tool, its argv once the snapshot is known, what its output starts with, what it is. */
export interface DumpSpec {
  tool: 'pg_dump' | 'pg_dumpall';
  args(snapshot: string | undefined): string[];
  /** The bytes every good output starts with (checked on the stream path; the direct path never sees the bytes). */
  magic: Buffer;
  /** `a custom-format archive`: what the output should have been, for the bad-header message. */
  what: string;
  format: string;
  /** Static facts for the result's details (row counts are added once known). */
  details: Record<string, unknown>;
}

/** What a dump of one database records about itself: the object's details before the row counts are known. */
export function databaseDetails(config: PostgresConfig, database: string): Record<string, unknown> {
  return {
    database,
    contents: dumpContents(config),
    ...(config.tables !== undefined && { includeTables: config.tables }),
    ...(config.excludeTables !== undefined && { excludeTables: config.excludeTables }),
  };
}

export function databaseDumpSpec(config: PostgresConfig, database: string, compress: boolean | undefined): DumpSpec {
  return {
    tool: 'pg_dump',
    args: (snapshot) => pgDumpArgs(config, { compress, database, ...(snapshot !== undefined && { snapshot }) }),
    magic: CUSTOM_FORMAT_MAGIC,
    what: 'a custom-format archive',
    format: POSTGRES_DUMP_FORMAT,
    details: databaseDetails(config, database),
  };
}

export function globalsDumpSpec(config: PostgresConfig, noRolePasswords: boolean): DumpSpec {
  return {
    tool: 'pg_dumpall',
    args: () => pgDumpallGlobalsArgs(config, { noRolePasswords }),
    magic: DUMPALL_MAGIC,
    what: 'a pg_dumpall script',
    format: POSTGRES_GLOBALS_FORMAT,
    details: { globals: true, rolePasswords: !noRolePasswords },
  };
}

/** `backup`/`backupTo` make the single-database point; a config asking for more is `backupObjects`' (objects.ts). */
function refuseMultiObject(config: PostgresConfig): void {
  if (isMultiObject(config)) {
    throw new EngineError('INVALID_CONFIG', 'this source backs up several objects (databases and/or globals): back it up with backupObjects');
  }
}

/**
 * Streams `pg_dump -Fc` of `config.database`. See `Engine.backup` for the contract; in short the stream
 * errors (never ends cleanly) unless pg_dump exited 0 and produced a non-empty custom-format archive. pg_dump starts
 * once its preparation is done (dump-session.ts): a pg_dump older than the server is refused before it starts, and it
 * dumps in the snapshot its row counts are taken in.
 */
export function backupPostgres(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): EngineBackup {
  refuseMultiObject(config);
  const spec = databaseDumpSpec(config, config.database, options.compress);
  return streamDump(spec, secrets, options, tools, () =>
    prepareDump(config, secrets, config.database, tools, {
      tool: 'pg_dump',
      exportSnapshot: true,
      countRows: dumpContents(config) !== 'schema-only',
      strict: false,
      signal: options.signal,
    }),
  );
}

/**
 * `pg_dump -Fc` written straight into `sink` (see `Engine.backupTo`): the archive goes from pg_dump to the next
 * tool through the kernel, without a hop through this process. pg_dump must start at once (the caller closes its copy
 * of the descriptor when this returns), so its preparation runs beside it: a pg_dump older than the server is
 * stopped (it refuses such a server by itself anyway, before writing anything), and the row counts come from a
 * transaction of their own (`sameSnapshot: false`). `backupObjects` prepares first and has neither limit.
 */
export function backupPostgresTo(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  sink: Writable,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): EngineBackupTo {
  refuseMultiObject(config);
  const spec = databaseDumpSpec(config, config.database, options.compress);
  return dumpTo(spec, secrets, sink, options, tools, () =>
    prepareDump(config, secrets, config.database, tools, {
      tool: 'pg_dump',
      exportSnapshot: false,
      countRows: dumpContents(config) !== 'schema-only',
      strict: false,
      signal: options.signal,
    }),
  );
}

/**
 * Runs `spec`'s tool once `prepare()` resolved, streaming its output (see `backupPostgres`). The preparation's
 * session is closed before `done` settles either way.
 */
export function streamDump(
  spec: DumpSpec,
  secrets: PostgresSecrets,
  options: EngineRunOptions,
  tools: PostgresToolOptions,
  prepare: () => Promise<DumpPreparation>,
): EngineBackup {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('backup', options.onProgress);

  let bytes = 0;
  let header = Buffer.alloc(0);
  let failure: EngineError | undefined;
  let prepared: DumpPreparation | undefined;
  let counting: ReturnType<DumpPreparation['countRows']> | undefined;
  // Declared before fail() (which kills it) and assigned only once the preparation is done.
  let dump: SpawnedProcess | undefined;
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
      if (header.length < spec.magic.length) {
        header = Buffer.concat([header, chunk.subarray(0, spec.magic.length - header.length)]);
        if (!spec.magic.subarray(0, header.length).equals(header)) {
          callback(fail(new EngineError('EMPTY_OUTPUT', `${spec.tool} output is not ${spec.what} (bad header)`)));
          return;
        }
      }
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
    flush(callback) {
      // stdout has ended; the output is only good once we know how the tool exited.
      void exitedOrNow().then(async (exit) => {
        const problem = failure ?? outcomeError(exit);
        if (problem !== undefined) {
          callback(fail(problem));
          return;
        }
        counting?.stop();
        const rows = await counting?.result;
        await prepared?.close();
        // Cancelled while the last counts finished: the cancellation stands.
        if (failure !== undefined) {
          callback(failure);
          return;
        }
        progress.flush();
        resolveDone(dumpResult(spec, prepared, rows, startedAt, bytes));
        callback();
      });
    },
  });
  // As with `done`: consumers attach their own listeners (pipeline does); this one only prevents a crash.
  output.on('error', () => undefined);

  let started: Promise<void> = Promise.resolve();

  /**
   * Records the first failure, stops the child and makes `stream` error. `done` rejects once the child is gone and
   * the preparation's session closed, so a caller that sees the rejection knows nothing of ours is left running.
   */
  function fail(err: EngineError): EngineError {
    if (failure !== undefined) return failure;
    failure = err;
    dump?.kill();
    if (!output.destroyed) output.destroy(err);
    void started
      .then(async () => {
        await exitedOrNow();
        await prepared?.close();
      })
      .then(() => {
        signal?.removeEventListener('abort', onAbort);
        rejectDone(err);
      });
    return err;
  }

  function onAbort(): void {
    fail(new EngineError('CANCELLED', 'backup cancelled'));
  }

  function exitedOrNow(): Promise<ProcessExit | undefined> {
    return dump?.exited ?? Promise.resolve(undefined);
  }

  function outcomeError(exit: ProcessExit | undefined): EngineError | undefined {
    if (exit === undefined) return new EngineError('TOOL_FAILED', `${spec.tool} was not started`);
    if (exit.spawnError !== undefined) return spawnFailure(spec.tool, tools, exit.spawnError);
    if (exit.code !== 0) return toolExitError(spec.tool, exit);
    if (bytes === 0) return new EngineError('EMPTY_OUTPUT', `${spec.tool} exited successfully but produced no output`);
    if (bytes < spec.magic.length) return new EngineError('EMPTY_OUTPUT', `${spec.tool} produced only ${bytes} bytes`);
    return undefined;
  }

  if (signal?.aborted) {
    fail(new EngineError('CANCELLED', 'backup cancelled before it started'));
    return { stream: output, done };
  }

  signal?.addEventListener('abort', onAbort, { once: true });

  // The consumer (storage) gave up: nobody will read the rest, so stop the dump.
  output.once('close', () => {
    if (failure === undefined && !output.readableEnded) {
      fail(new EngineError('CANCELLED', 'backup output was closed before the dump finished'));
    }
  });

  started = prepare().then(
    (preparation) => {
      prepared = preparation;
      if (failure !== undefined) return;
      if (preparation.refusal !== undefined) {
        fail(preparation.refusal);
        return;
      }
      progress.setEstimatedTotal(preparation.sizeBytes);
      dump = spawnPgTool(spec.tool, spec.args(preparation.snapshot), tools, secrets, { stdin: 'ignore', stdout: 'pipe' });
      dump.stdout?.pipe(output);
      counting = preparation.countRows();
      void dump.exited.then((exit) => {
        signal?.removeEventListener('abort', onAbort);
        // A clean exit is judged in flush (after the last byte); a failed one is reported right away.
        if (exit.spawnError !== undefined || exit.code !== 0) {
          const problem = outcomeError(exit);
          if (problem !== undefined) fail(problem);
        }
      });
    },
    (err: unknown) => {
      fail(err instanceof EngineError ? err : new EngineError('TOOL_FAILED', `could not prepare the dump: ${String(err)}`, { cause: err }));
    },
  );

  return { stream: output, done };
}

// How often backupTo samples the kernel's count of what pg_dump wrote, for the progress bar.
const PROC_IO_SAMPLE_MS = 250;

/**
 * Runs `spec`'s tool writing into `sink` (see `backupPostgresTo`). `preparation` is either done already (the objects
 * path: the tool starts in its snapshot) or a function started beside the tool (the single-database direct path).
 * Progress comes from `/proc/<pid>/io` (`wchar`, what the tool has written so far) where the kernel offers it;
 * elsewhere the bar simply stays at 0 until the end.
 */
export function dumpTo(
  spec: DumpSpec,
  secrets: PostgresSecrets,
  sink: Writable,
  options: EngineRunOptions,
  tools: PostgresToolOptions,
  preparation: DumpPreparation | (() => Promise<DumpPreparation>),
): EngineBackupTo {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('backup', options.onProgress);
  const ready = typeof preparation === 'function' ? undefined : preparation;
  if (signal?.aborted || ready?.refusal !== undefined) {
    const done = Promise.reject(ready?.refusal ?? new EngineError('CANCELLED', 'backup cancelled before it started'));
    done.catch(() => undefined);
    void ready?.close();
    return { done, kill: () => undefined };
  }

  const dump = spawnPgTool(spec.tool, spec.args(ready?.snapshot), tools, secrets, { stdin: 'ignore', stdout: sink });
  let cancelled = false;
  let refused: EngineError | undefined;
  const onAbort = () => {
    cancelled = true;
    dump.kill();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let counting: ReturnType<DumpPreparation['countRows']> | undefined;
  const preparing: Promise<DumpPreparation | undefined> = (ready !== undefined ? Promise.resolve(ready) : (preparation as () => Promise<DumpPreparation>)()).then(
    (prepared) => {
      if (prepared.refusal !== undefined) {
        // Too old for this server: it must not go on (it refuses by itself too, before writing a byte).
        refused = prepared.refusal;
        dump.kill();
        return prepared;
      }
      progress.setEstimatedTotal(prepared.sizeBytes);
      counting = prepared.countRows();
      return prepared;
    },
    () => undefined,
  );

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
    // Settled on every path, so that once `done` settles nothing of ours (not even `--version`) is running.
    const prepared = await preparing;
    signal?.removeEventListener('abort', onAbort);
    try {
      if (refused !== undefined) throw refused;
      if (cancelled) throw new EngineError('CANCELLED', 'backup cancelled');
      if (exit.spawnError !== undefined) throw spawnFailure(spec.tool, tools, exit.spawnError);
      if (exit.code !== 0) throw toolExitError(spec.tool, exit);
      counting?.stop();
      const rows = await counting?.result;
      progress.flush();
      return dumpResult(spec, prepared, rows, startedAt, undefined);
    } finally {
      await prepared?.close();
    }
  });
  done.catch(() => undefined);
  return { done, kill: () => dump.kill() };
}

/** The tool's non-zero exit as an error: a version refusal in our words, else its classified stderr. */
function toolExitError(tool: DumpSpec['tool'], exit: ProcessExit): EngineError {
  const mismatch = versionMismatchError(tool, exit.stderrTail);
  if (mismatch !== undefined) return mismatch;
  const detail = summarizeStderr(tool, exit.stderrTail) || describeExit(exit);
  return new EngineError(toolFailureCode(exit.stderrTail), `${tool} failed: ${detail}`);
}

function dumpResult(
  spec: DumpSpec,
  prepared: DumpPreparation | undefined,
  rows: RowCountDetails | undefined,
  startedAt: number,
  bytes: number | undefined,
): EngineBackupResult {
  return {
    ...(bytes !== undefined && { bytes }),
    durationMs: Date.now() - startedAt,
    format: spec.format,
    ...(prepared?.server !== undefined && { serverVersion: prepared.server.version }),
    ...(prepared?.sizeBytes !== undefined && { sourceSizeBytes: prepared.sizeBytes }),
    ...(prepared?.toolVersion !== undefined && { toolVersion: prepared.toolVersion }),
    details: { ...spec.details, ...(rows !== undefined && { tables: rows.tables, rowCounts: rows.rowCounts }) },
  };
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
