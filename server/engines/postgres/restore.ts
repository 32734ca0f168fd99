import net from 'node:net';
import { PassThrough, Transform, type Readable } from 'node:stream';

import { EngineError, type EngineRestoreOptions, type EngineRestoreResult, type EngineRestoreSource, type EngineStoredObject } from '../engine';
import { describeExit, openPipes, type ProcessExit } from '@/server/process';

import { pgRestoreArgs } from './argv';
import { parseRestoreMode } from './check-restore-target';
import { classifyClientError, toolFailureCode } from './classify-error';
import { describeServer, pgErrorMessage, sqlState, withClient } from './client';
import type { PostgresConfig, PostgresRestoreMode, PostgresRestoreTarget, PostgresSecrets } from './config';
import { restorePostgresInPlace, restorePostgresInPlaceFrom } from './in-place';
import { assertRestorable, objectDatabase } from './objects';
import { createProgressReporter } from '../progress';
import { peekToc, writeUseList } from './restore-tables';
import { spawnFailure, spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';

// SQLSTATEs we act on (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const DUPLICATE_DATABASE = '42P04';
const INSUFFICIENT_PRIVILEGE = '42501';
// DROP DATABASE … WITH (FORCE) exists from PostgreSQL 13 (server_version_num 130000).
const FORCE_DROP_MIN_VERSION = 130_000;

/**
 * Restores a `pg_dump -Fc` archive read from `input` into a NEW database `target.database` on the server
 * described by `config` (connecting first to `config.database` to create it).
 *
 * The database is created from template0 (a clean slate: whatever was added to template1 would collide with
 * the dump) and must not exist yet (`TARGET_EXISTS`): mode `new` never restores over existing data. If anything
 * fails after that — pg_restore exits non-zero, `input` errors, the signal aborts — the half-restored
 * database is dropped before the promise rejects.
 *
 * `options.mode: 'in-place'` is the other way (in-place.ts): the database must exist, its contents are replaced in
 * one transaction, and nothing is ever created or dropped, on failure least of all.
 */
export async function restorePostgres(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  input: Readable,
  target: PostgresRestoreTarget,
  options: EngineRestoreOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineRestoreResult> {
  let mode;
  try {
    mode = parseRestoreMode(options.mode);
    checkRestoreChoice(config, target, mode, options.object);
  } catch (err) {
    input.destroy();
    throw err;
  }
  if (mode === 'in-place') return restorePostgresInPlace(config, secrets, input, target, options, tools);
  if (target.tables !== undefined) return restoreSomeTables(config, secrets, input, target, options, tools);
  return restoreInto(config, secrets, input, target, options, tools);
}

/**
 * What the target asks of the object being restored (`options.object`, one of the point's), checked before anything
 * is created: `from` must be its database, a globals or data-only object is never restored here, and `tables` only
 * into a new database (an in-place restore replaces the whole database).
 */
export function checkRestoreChoice(config: PostgresConfig, target: PostgresRestoreTarget, mode: PostgresRestoreMode, object: EngineStoredObject | undefined): void {
  if (object !== undefined) {
    assertRestorable(object);
    const database = objectDatabase(object, config);
    if (target.from !== undefined && database !== undefined && database !== target.from) {
      throw new EngineError('INVALID_CONFIG', `the object being restored holds database "${database}", not "${target.from}"`);
    }
  }
  if (target.tables !== undefined && mode === 'in-place') {
    throw new EngineError('INVALID_CONFIG', 'tables can only be restored into a new database: an in-place restore replaces the whole database');
  }
}

/**
 * Mode `new` with `target.tables`: the archive's TOC is read first (restore-tables.ts), names that are not in it are
 * refused before any database is created, and pg_restore restores only the chosen entries (`--use-list`).
 */
async function restoreSomeTables(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  input: Readable,
  target: PostgresRestoreTarget,
  options: EngineRestoreOptions,
  tools: PostgresToolOptions,
): Promise<EngineRestoreResult> {
  if (options.signal?.aborted) {
    input.destroy();
    throw new EngineError('CANCELLED', 'restore cancelled before it started');
  }
  const peeked = await peekToc(input, tools, options.signal);
  let list;
  try {
    list = await writeUseList(peeked.entries, target.tables ?? []);
  } catch (err) {
    peeked.replay.destroy();
    throw err;
  }
  try {
    return await restoreInto(config, secrets, peeked.replay, target, options, tools, list.file);
  } finally {
    await list.cleanup();
  }
}

/** `restorePostgres` in mode `new`: create the database, pg_restore into it (only `useList`'s entries when given). */
async function restoreInto(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  input: Readable,
  target: PostgresRestoreTarget,
  options: EngineRestoreOptions,
  tools: PostgresToolOptions,
  useList?: string,
): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('restore', options.onProgress);
  progress.setEstimatedTotal(options.inputBytes);

  // Listening from the start: an input that fails while we create the database must not crash the worker
  // with an unhandled 'error', and its error is the one to report.
  let inputError: unknown;
  input.on('error', (err) => {
    inputError ??= err;
  });

  try {
    if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
    await createDatabase(config, secrets, target.database);
  } catch (err) {
    input.destroy();
    throw signal?.aborted ? new EngineError('CANCELLED', 'restore cancelled', { cause: err }) : err;
  }
  if (signal?.aborted) {
    input.destroy();
    await dropAndThrow(config, secrets, target, new EngineError('CANCELLED', 'restore cancelled'));
  }

  let bytes = 0;
  let stdinError: unknown;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
  });

  const tool = spawnPgTool('pg_restore', pgRestoreArgs(config, target, useList === undefined ? {} : { useList }), tools, secrets, {
    stdin: 'pipe',
    stdout: 'ignore',
  });
  const onAbort = () => {
    tool.kill();
    input.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  // Piped by hand rather than with pipeline(): pipeline would destroy `input` with pg_restore's EPIPE, and
  // then we could no longer tell "the artifact could not be read" from "pg_restore stopped reading".
  const fed = new Promise<void>((resolve) => {
    const stdin = tool.stdin;
    if (stdin === null) return resolve();
    stdin.once('error', (err) => {
      stdinError ??= err;
      input.destroy(); // nobody will read the rest: stop downloading it
      resolve();
    });
    stdin.once('finish', resolve);
    stdin.once('close', resolve);
    const onInputError = () => {
      // Kill rather than just close stdin, so a truncated archive can never be mistaken for a complete one.
      tool.kill();
      stdin.destroy();
      resolve();
    };
    if (inputError !== undefined) return onInputError();
    input.once('error', onInputError);
    input.pipe(counter).pipe(stdin);
  });
  const [, exit] = await Promise.all([fed, tool.exited]);
  signal?.removeEventListener('abort', onAbort);
  // If pg_restore stopped early, the rest of the artifact is unread: release its file or connection.
  if (!input.readableEnded) input.destroy();

  let failure: unknown;
  if (signal?.aborted) {
    failure = new EngineError('CANCELLED', 'restore cancelled');
  } else if (inputError !== undefined) {
    // The artifact could not be read: that, not pg_restore's "unexpected end of file", is the cause.
    failure = inputError;
  } else {
    failure = toolProblem(exit, tools) ?? (stdinError === undefined ? undefined : stoppedEarly(pgErrorMessage(stdinError)));
  }
  if (failure !== undefined) await dropAndThrow(config, secrets, target, failure);

  progress.flush();
  return { bytes, durationMs: Date.now() - startedAt, target: target.database };
}

/**
 * The direct path (`Engine.restoreFrom`): pg_restore's stdin is handed to `source.connect`, whose pipeline's last
 * tool (zstd -d) writes into it, so the archive never passes through this process. That stdin is a kernel pipe
 * (`openPipes`; Node's own 'pipe' is a socket pair, costlier per write and read), a socket where FIFOs cannot be made. The database is kept only if
 * pg_restore exited 0 AND the source's verdict (the stored object's sha256, known once it was read to the end)
 * resolved; otherwise pg_restore is killed (if still running) and the database dropped, as in `restorePostgres`.
 * Progress is the source's to report: nothing here sees the bytes. Mode `in-place`: see in-place.ts.
 */
export async function restorePostgresFrom(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  source: EngineRestoreSource,
  options: EngineRestoreOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineRestoreResult> {
  const mode = parseRestoreMode(options.mode);
  checkRestoreChoice(config, target, mode, options.object);
  if (mode === 'in-place') return restorePostgresInPlaceFrom(config, secrets, target, source, options, tools);
  if (target.tables !== undefined) return restoreSomeTablesFrom(config, secrets, target, source, options, tools);
  const startedAt = Date.now();
  const { signal } = options;
  try {
    if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
    await createDatabase(config, secrets, target.database);
  } catch (err) {
    throw signal?.aborted ? new EngineError('CANCELLED', 'restore cancelled', { cause: err }) : err;
  }
  if (signal?.aborted) await dropAndThrow(config, secrets, target, new EngineError('CANCELLED', 'restore cancelled'));

  const [pipe] = (await openPipes(1)) ?? [];
  const tool = spawnPgTool('pg_restore', pgRestoreArgs(config, target), tools, secrets, { stdin: pipe?.readFd ?? 'pipe', stdout: 'ignore' });
  // pg_restore has its own copy; ours would keep the pipe readable after it died, and zstd -d would block, not EPIPE.
  pipe?.closeRead();
  // Without a pipe, stdin is Node's 'pipe', so never null.
  const stdin = pipe?.write ?? tool.stdin!;
  const onAbort = () => tool.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort(); // aborted while the pipe was being made: the listener came too late
  let verdict: Promise<{ bytes?: number }>;
  try {
    verdict = source.connect(stdin);
  } catch (err) {
    verdict = Promise.reject(err);
  }
  let fed: { bytes?: number } | undefined;
  let feedError: unknown;
  const feeding = verdict.then(
    (result) => {
      fed = result;
    },
    (err: unknown) => {
      feedError = err;
      // A bad or unreadable artifact: pg_restore must not get to finish (it may still be reading).
      tool.kill();
      stdin.destroy();
    },
  );
  const [, exit] = await Promise.all([feeding, tool.exited]);
  signal?.removeEventListener('abort', onAbort);

  let failure: unknown;
  if (signal?.aborted) failure = new EngineError('CANCELLED', 'restore cancelled');
  else if (exit.spawnError !== undefined) failure = toolProblem(exit, tools);
  // The artifact failed its checks or could not be decoded: that is the cause, not pg_restore's "unexpected end of
  // file" (nor its exit 0: a swapped object may well be a valid archive). A cancellation only says the pipeline's
  // last tool lost its reader, i.e. pg_restore stopped: its own exit says why.
  else if (feedError !== undefined && !isCancellationError(feedError)) failure = feedError;
  // An exit code is pg_restore's own verdict even if our kill raced with it; a signal we sent is not.
  else failure = (exit.code !== null || !exit.killedByUs ? toolProblem(exit, tools) : undefined) ?? (feedError === undefined ? undefined : stoppedEarly(errorMessage(feedError)));
  if (failure !== undefined) await dropAndThrow(config, secrets, target, failure);

  return { bytes: fed?.bytes ?? 0, durationMs: Date.now() - startedAt, target: target.database };
}

/**
 * `restoreFrom` with `target.tables`: the TOC must be read before pg_restore starts, so the decoded archive comes
 * through this process after all: the caller's last tool writes into a kernel pipe whose other end is read here, and
 * the bytes go on as in `restorePostgres`. The stream read here ends only once the caller's verdict resolved (the
 * stored object's sha256, known at its end), so pg_restore never sees the end of an archive that failed its checks;
 * a rejected verdict is the restore's error (and the new database is dropped).
 */
async function restoreSomeTablesFrom(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  source: EngineRestoreSource,
  options: EngineRestoreOptions,
  tools: PostgresToolOptions,
): Promise<EngineRestoreResult> {
  if (options.signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
  const [pipe] = (await openPipes(1)) ?? [];
  if (pipe === undefined) throw new EngineError('TOOL_FAILED', 'a restore of some tables needs a kernel pipe (mkfifo), which cannot be made on this worker');
  // Ours alone (the writer has its own open file description), so the non-blocking mode libuv sets is harmless.
  const reader = new net.Socket({ fd: pipe.readFd, readable: true, writable: false });
  let verdict: Promise<{ bytes?: number }>;
  try {
    verdict = source.connect(pipe.write);
  } catch (err) {
    verdict = Promise.reject(err);
  }
  const gated = new PassThrough();
  reader.pipe(gated, { end: false });
  reader.once('end', () => {
    verdict.then(
      () => gated.end(),
      () => undefined,
    );
  });
  reader.once('error', (err) => gated.destroy(err));
  verdict.catch((err: unknown) => {
    // A cancellation only says the pipeline lost its reader (pg_restore stopped): its exit says why.
    if (isCancellationError(err)) gated.destroy();
    else gated.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  gated.once('close', () => reader.destroy());
  const result = await restoreSomeTables(config, secrets, gated, target, options, tools);
  const fed = await verdict;
  return { ...result, ...(fed.bytes !== undefined && { bytes: fed.bytes }) };
}

/** pg_restore's own failure from its exit, or undefined if it exited 0. */
function toolProblem(exit: ProcessExit, tools: PostgresToolOptions): EngineError | undefined {
  if (exit.spawnError !== undefined) return spawnFailure('pg_restore', tools, exit.spawnError);
  if (exit.code === 0) return undefined;
  return new EngineError(toolFailureCode(exit.stderrTail), `pg_restore failed: ${summarizeStderr('pg_restore', exit.stderrTail) || describeExit(exit)}`);
}

/** Exit 0 but it stopped reading early: the archive had bytes pg_restore never looked at. */
function stoppedEarly(detail: string): EngineError {
  return new EngineError('TOOL_FAILED', `pg_restore exited before reading the whole archive: ${detail}`);
}

function isCancellationError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CANCELLED';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Drops the half-restored database, then throws `failure` (saying so if the drop failed too). */
async function dropAndThrow(config: PostgresConfig, secrets: PostgresSecrets, target: PostgresRestoreTarget, failure: unknown): Promise<never> {
  const dropProblem = await dropDatabase(config, secrets, target.database).then(
    () => undefined,
    (err: unknown) => pgErrorMessage(err),
  );
  if (dropProblem !== undefined && failure instanceof Error) {
    failure.message += ` (and dropping the half-restored database "${target.database}" failed: ${dropProblem}; drop it by hand)`;
  }
  throw failure;
}

/**
 * Not abortable on purpose: a client that hangs up does not stop a CREATE DATABASE already sent, so the database
 * could appear after we gave up on it and nobody would drop it. It takes seconds at most; the callers check the
 * signal once it returned and drop the database then.
 */
async function createDatabase(config: PostgresConfig, secrets: PostgresSecrets, database: string): Promise<void> {
  await withClient(
    config,
    secrets,
    config.database,
    async (client) => {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} TEMPLATE template0`);
      } catch (err) {
        const state = sqlState(err);
        if (state === DUPLICATE_DATABASE) {
          throw new EngineError('TARGET_EXISTS', `database "${database}" already exists on ${describeServer(config)}; restore into a new name`, {
            cause: err,
          });
        }
        if (state === INSUFFICIENT_PRIVILEGE) {
          throw new EngineError(
            'PERMISSION_DENIED',
            `user "${config.user}" may not create databases on ${describeServer(config)} (needs CREATEDB): ${pgErrorMessage(err)}`,
            { cause: err },
          );
        }
        // E.g. the server shutting down under us (retried) or a disk full (not); unknown causes are not retried.
        throw new EngineError(classifyClientError(err) ?? 'TOOL_FAILED', `could not create database "${database}": ${pgErrorMessage(err)}`, { cause: err });
      }
    },
  );
}

/** Drops a database this restore created. FORCE ends sessions a killed pg_restore may have left behind. */
async function dropDatabase(config: PostgresConfig, secrets: PostgresSecrets, database: string): Promise<void> {
  await withClient(config, secrets, config.database, async (client) => {
    const { rows } = await client.query<{ num: string }>("select current_setting('server_version_num') as num");
    const force = Number(rows[0]?.num) >= FORCE_DROP_MIN_VERSION ? ' WITH (FORCE)' : '';
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)}${force}`);
  });
}
