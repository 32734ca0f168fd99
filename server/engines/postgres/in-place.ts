/**
 * The `in-place` restore mode: replace the contents of an EXISTING database with a backup, in one transaction, so
 * that a failure at any point (a broken artifact, a failed statement, a lock that never comes, a cancel, a crash of
 * the worker) leaves the database exactly as it was, and success leaves exactly the backup's contents.
 *
 *   archive ─▶ pg_restore --clean --if-exists --single-transaction --no-owner --file=-   (archive → SQL, no connection)
 *          ─▶ this process: the prelude first, the script's last bytes (its COMMIT) held back
 *          ─▶ psql --set=ON_ERROR_STOP=1 in the target database
 *
 * Why not `pg_restore --single-transaction -d target` alone: pg_restore sends its COMMIT as soon as it has read
 * the archive, before the caller's verdict on the bytes is known (the stored object's sha256 is checked at its end,
 * see `Engine.restoreFrom`), and `--clean` drops only what the archive holds, so a table created since the backup
 * would survive, and one that references a dumped table would make the DROP fail. Here the transaction is the psql
 * session's: the prelude (`PRELUDE`) runs first in it and removes everything the restore replaces, and the COMMIT,
 * the script's very end, reaches psql only once pg_restore exited 0 and the verdict resolved. Anything else ends psql
 * without it: the server rolls the transaction back, nothing is dropped, nothing is left half-made.
 *
 * Other sessions are never terminated: they keep working on the old contents until the restore needs a lock they
 * hold (it waits at most `LOCK_WAIT_TIMEOUT_MS` per lock, then fails and rolls back), and from the prelude on they
 * wait for the restore's COMMIT on every table it replaces.
 */
import { Transform, type Readable, type Writable } from 'node:stream';

import { EngineError, type EngineRestoreOptions, type EngineRestoreResult, type EngineRestoreSource } from '../engine';
import { describeExit, failedOnItsOwn, openPipes, type ProcessExit, type SpawnedProcess } from '@/server/process';

import { LOCK_WAIT_TIMEOUT_MS, pgRestoreScriptArgs, psqlRestoreArgs } from './argv';
import { databaseExists, missingTarget } from './check-restore-target';
import { toolFailureCode } from './classify-error';
import { describeServer } from './client';
import type { PostgresConfig, PostgresRestoreTarget, PostgresSecrets } from './config';
import { createProgressReporter } from '../progress';
import { spawnFailure, spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';

// Far more than pg_restore writes after its COMMIT (a footer comment and `\unrestrict <key>`, under 200 bytes), and
// little to hold in memory: everything before it reaches psql as it comes.
const HELD_TAIL_BYTES = 64 * 1024;

/**
 * Runs in the restore's transaction before the script: removes everything of the database's that the backup
 * replaces, so that the result is the backup's contents and nothing else (`--clean` alone keeps objects created
 * since the backup, and cannot drop an archived table a newer object depends on). Every large object; every schema
 * but the system ones, with all it contains (extensions installed in them included: the script creates them again);
 * and `public`, which a dump never creates, is dropped and created again with its owner, privileges and comment.
 * Objects outside schemas (event triggers, publications, casts, foreign servers, languages) stay unless the archive
 * holds them (then `--clean` replaces them). Needs the rights the restore needs anyway: the source's user must own
 * the schemas and large objects (or be a superuser). Locks wait at most `LOCK_WAIT_TIMEOUT_MS` each. The script's
 * own BEGIN then only warns ("already a transaction in progress"), silenced by `client_min_messages`.
 */
export const PRELUDE = String.raw`
SET client_min_messages = error;
SELECT pg_catalog.set_config('search_path', '', false);
SET lock_timeout = ${LOCK_WAIT_TIMEOUT_MS};
BEGIN;
DO $lifeboat$
DECLARE
  s record;
  a record;
  pub record;
BEGIN
  PERFORM pg_catalog.lo_unlink(m.oid) FROM pg_catalog.pg_largeobject_metadata m;
  FOR s IN
    SELECT n.nspname FROM pg_catalog.pg_namespace n
    WHERE n.nspname <> 'public' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    ORDER BY 1
  LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', s.nspname);
  END LOOP;
  SELECT n.nspowner::pg_catalog.regrole::text AS owner, n.nspacl AS acl, pg_catalog.obj_description(n.oid, 'pg_namespace') AS note
    INTO pub FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public';
  IF FOUND THEN
    DROP SCHEMA public CASCADE;
    CREATE SCHEMA public;
    EXECUTE pg_catalog.format('ALTER SCHEMA public OWNER TO %s', pub.owner);
    IF pub.acl IS NOT NULL THEN
      EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA public FROM %s', pub.owner);
      FOR a IN SELECT * FROM pg_catalog.aclexplode(pub.acl) LOOP
        EXECUTE pg_catalog.format(
          'GRANT %s ON SCHEMA public TO %s%s',
          a.privilege_type,
          CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::pg_catalog.regrole::text END,
          CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END
        );
      END LOOP;
    END IF;
    EXECUTE pg_catalog.format('COMMENT ON SCHEMA public IS %L', pub.note);
  END IF;
END
$lifeboat$;
`;

/** What feeding pg_restore came to, once it is over (never a rejection). */
interface FeedOutcome {
  /** Artifact bytes fed, when known. */
  bytes?: number;
  /** The artifact could not be read or failed its checks: the cause of the failure, whatever the tools say. */
  inputError?: unknown;
  /** pg_restore stopped reading before the end (its exit says why, or it exited 0 with bytes unread). */
  stdinError?: unknown;
}

/**
 * `Engine.restore` in mode `in-place`: the archive is read from `input` (through this process, for progress).
 * Refuses a target that does not exist (`INVALID_CONFIG`) before reading anything.
 */
export async function restorePostgresInPlace(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  input: Readable,
  target: PostgresRestoreTarget,
  options: EngineRestoreOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineRestoreResult> {
  const progress = createProgressReporter('restore', options.onProgress);
  progress.setEstimatedTotal(options.inputBytes);
  // Listening from the start: an input that fails during the existence check must not crash the worker.
  let inputError: unknown;
  input.on('error', (err) => {
    inputError ??= err;
  });
  try {
    await requireExistingTarget(config, secrets, target, options.signal);
  } catch (err) {
    input.destroy();
    throw err;
  }

  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
  });
  const result = await runInPlace(config, secrets, target, options, tools, {
    stdin: 'pipe',
    feed: (pgRestore) =>
      new Promise<FeedOutcome>((resolve) => {
        const stdin = pgRestore.stdin;
        if (stdin === null) return resolve({});
        const done = (outcome: FeedOutcome = {}) => resolve({ bytes, ...(inputError !== undefined && { inputError }), ...outcome });
        stdin.once('error', (err) => {
          input.destroy(); // nobody will read the rest: stop downloading it
          done({ stdinError: err });
        });
        stdin.once('finish', () => done());
        stdin.once('close', () => done());
        const onInputError = () => {
          // Kill rather than just close stdin, so a truncated archive can never be mistaken for a complete one.
          pgRestore.kill();
          stdin.destroy();
          done();
        };
        if (inputError !== undefined) return onInputError();
        input.once('error', onInputError);
        input.pipe(counter).pipe(stdin);
      }),
    stop: () => input.destroy(),
  });
  if (!input.readableEnded) input.destroy();
  progress.flush();
  return result;
}

/**
 * `Engine.restoreFrom` in mode `in-place`: pg_restore's stdin is a kernel pipe handed to `source.connect`, so the
 * archive never passes through this process (its SQL script does, to hold back the COMMIT). The COMMIT is sent only
 * once the source's verdict resolved; a rejected verdict kills pg_restore and rolls everything back.
 */
export async function restorePostgresInPlaceFrom(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  source: EngineRestoreSource,
  options: EngineRestoreOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineRestoreResult> {
  await requireExistingTarget(config, secrets, target, options.signal);
  const [pipe] = (await openPipes(1)) ?? [];
  return runInPlace(config, secrets, target, options, tools, {
    stdin: pipe?.readFd ?? 'pipe',
    // pg_restore has its own copy; ours would keep the pipe readable after it died, and zstd -d would block, not EPIPE.
    spawned: () => pipe?.closeRead(),
    feed: async (pgRestore) => {
      // Without a pipe, stdin is Node's 'pipe', so never null.
      const stdin = pipe?.write ?? pgRestore.stdin!;
      try {
        const fed = await source.connect(stdin);
        return fed.bytes === undefined ? {} : { bytes: fed.bytes };
      } catch (err) {
        // A bad or unreadable artifact: pg_restore must not get to finish (it may still be reading).
        pgRestore.kill();
        stdin.destroy();
        // A cancellation only says the pipeline's last tool lost its reader, i.e. pg_restore stopped: its exit says why.
        return isCancellationError(err) ? { stdinError: err } : { inputError: err };
      }
    },
    stop: () => undefined,
  });
}

async function requireExistingTarget(config: PostgresConfig, secrets: PostgresSecrets, target: PostgresRestoreTarget, signal?: AbortSignal): Promise<void> {
  try {
    if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
    if (!(await databaseExists(config, secrets, target.database, signal))) throw missingTarget(config, target.database);
  } catch (err) {
    throw signal?.aborted && !(err instanceof EngineError && err.code === 'CANCELLED') ? new EngineError('CANCELLED', 'restore cancelled', { cause: err }) : err;
  }
}

interface Feed {
  /** pg_restore's stdin: Node's pipe (fed by `feed`) or a descriptor. */
  stdin: 'pipe' | number;
  /** Called right after pg_restore started. */
  spawned?: () => void;
  /** Feeds pg_restore the archive; settles once that is over. */
  feed: (pgRestore: SpawnedProcess) => Promise<FeedOutcome>;
  /** Stops reading the artifact (the restore failed elsewhere). */
  stop: () => void;
}

async function runInPlace(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  options: EngineRestoreOptions,
  tools: PostgresToolOptions,
  feed: Feed,
): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const psql = spawnPgTool('psql', psqlRestoreArgs(config, target), tools, secrets, { stdin: 'pipe', stdout: 'ignore' });
  const pgRestore = spawnPgTool('pg_restore', pgRestoreScriptArgs(target), tools, secrets, { stdin: feed.stdin, stdout: 'pipe' });
  feed.spawned?.();

  // Once the COMMIT is on its way psql is never killed: its outcome could then no longer be known.
  let committing = false;
  const stopAll = () => {
    pgRestore.kill();
    feed.stop();
    if (!committing) psql.kill();
  };
  signal?.addEventListener('abort', stopAll, { once: true });
  // Aborted during the existence check's last moments or while the pipe was made: the listener came too late.
  if (signal?.aborted) stopAll();
  let psqlExit: ProcessExit | undefined;
  void psql.exited.then((exit) => {
    psqlExit = exit;
    // psql gone before the COMMIT: the transaction is rolled back, nothing more can come of this restore.
    if (!committing) {
      pgRestore.kill();
      feed.stop();
    }
  });

  const forwarding = forwardScript(pgRestore.stdout!, psql.stdin!).then(
    (tail) => ({ tail }),
    (err: unknown) => ({ forwardError: err }),
  );
  const [fed, restoreExit, forwarded] = await Promise.all([feed.feed(pgRestore), pgRestore.exited, forwarding]);

  let failure: unknown;
  if (signal?.aborted) failure = new EngineError('CANCELLED', 'restore cancelled');
  else if (restoreExit.spawnError !== undefined) failure = spawnFailure('pg_restore', tools, restoreExit.spawnError);
  else if (fed.inputError !== undefined) failure = fed.inputError;
  else if (failedOnItsOwn(restoreExit)) failure = toolProblem('pg_restore', restoreExit);
  else if ('forwardError' in forwarded) failure = new EngineError('TOOL_FAILED', `psql stopped reading the restore script: ${errorMessage(forwarded.forwardError)}`);
  else if (fed.stdinError !== undefined) failure = new EngineError('TOOL_FAILED', `pg_restore exited before reading the whole archive: ${errorMessage(fed.stdinError)}`);
  else if (!endsWithCommit(forwarded.tail)) failure = new EngineError('TOOL_FAILED', "pg_restore's script does not end with its transaction's COMMIT");

  if (failure !== undefined || psqlExit !== undefined) {
    signal?.removeEventListener('abort', stopAll);
    psql.kill();
    const exit = await psql.exited;
    // psql failing on its own (a statement failed, a lock timed out) comes first: pg_restore then only lost its reader.
    const psqlFailure = exit.spawnError !== undefined ? spawnFailure('psql', tools, exit.spawnError) : failedOnItsOwn(exit) || failure === undefined ? toolProblem('psql', exit) : undefined;
    const cause = isInputOrCancel(failure, fed) ? failure : (psqlFailure ?? failure);
    throw unchanged(cause, config, target);
  }

  committing = true;
  psql.stdin!.end((forwarded as { tail: Buffer }).tail);
  const exit = await psql.exited;
  signal?.removeEventListener('abort', stopAll);
  if (exit.code !== 0) {
    const problem = exit.spawnError !== undefined ? spawnFailure('psql', tools, exit.spawnError) : toolProblem('psql', exit);
    if (problem.code === 'CONNECTION_FAILED') {
      problem.message += ` (the connection was lost while the restore committed: check whether database "${target.database}" holds the backup's contents or its previous ones)`;
      throw problem;
    }
    throw unchanged(problem, config, target);
  }
  return { bytes: fed.bytes ?? 0, durationMs: Date.now() - startedAt, target: target.database };
}

/** A failure that is the restore's cause whatever psql said: the signal, or an artifact that failed its checks. */
function isInputOrCancel(failure: unknown, fed: FeedOutcome): boolean {
  return failure !== undefined && (fed.inputError === failure || (failure instanceof EngineError && failure.code === 'CANCELLED'));
}

/**
 * Copies pg_restore's script into psql: `PRELUDE` first, then the script as it comes, except its last
 * `HELD_TAIL_BYTES`, which are returned (they hold the COMMIT) for the caller to send once everything checked out.
 * Rejects if psql stops reading or pg_restore's output breaks off.
 */
async function forwardScript(script: Readable, psqlIn: Writable): Promise<Buffer> {
  await write(psqlIn, PRELUDE);
  const held: Buffer[] = [];
  let heldBytes = 0;
  for await (const chunk of script as AsyncIterable<Buffer>) {
    held.push(chunk);
    heldBytes += chunk.length;
    while (held.length > 1 && heldBytes - held[0]!.length >= HELD_TAIL_BYTES) {
      const out = held.shift()!;
      heldBytes -= out.length;
      await write(psqlIn, out);
    }
  }
  return Buffer.concat(held);
}

/** Writes with back-pressure; rejects once the stream can take nothing more (psql exited). */
function write(stream: Writable, data: Buffer | string): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(new Error('psql is no longer reading'));
  if (stream.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', settle);
      stream.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('psql is no longer reading'));
    stream.on('drain', onDrain);
    stream.on('error', settle);
    stream.on('close', onClose);
  });
}

/** Whether the script's last bytes are its COMMIT followed by nothing but comments, blank lines and `\unrestrict`. */
export function endsWithCommit(tail: Buffer): boolean {
  const text = tail.toString('utf8');
  const at = text.lastIndexOf('\nCOMMIT;\n');
  if (at < 0) return false;
  return /^(?:\s|--[^\n]*|\\unrestrict [^\n]*)*$/.test(text.slice(at + '\nCOMMIT;\n'.length));
}

function toolProblem(tool: 'pg_restore' | 'psql', exit: ProcessExit): EngineError {
  const detail = summarizeStderr(tool, exit.stderrTail) || describeExit(exit);
  if (/\block timeout\b/i.test(exit.stderrTail)) {
    return new EngineError(
      'TOOL_FAILED',
      `${tool} failed: ${detail} (another session holds a lock on an object the restore replaces and kept it for ${LOCK_WAIT_TIMEOUT_MS / 1000} s: stop the application's sessions on the database, or wait for them, and try again)`,
    );
  }
  return new EngineError(toolFailureCode(exit.stderrTail), `${tool} failed: ${detail}`);
}

/** The failure, saying that the target is as it was (nothing was committed). */
function unchanged(failure: unknown, config: PostgresConfig, target: PostgresRestoreTarget): unknown {
  if (failure instanceof Error) {
    failure.message += `; database "${target.database}" on ${describeServer(config)} was left as it was (nothing was committed)`;
  }
  return failure;
}

function isCancellationError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CANCELLED';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
