/**
 * What happens around one `pg_dump` of one database, before and while it runs: the server's version against the
 * tool's (refused when the tool is too old), the facts for the manifest (versions, `pg_database_size`), and the row
 * counts, taken in the dump's own snapshot where possible:
 *
 *   session: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot()   → "00000003-0000001B-1"
 *   pg_dump --snapshot=00000003-0000001B-1 …   (imports it: the archive holds exactly what the session sees)
 *   session: count(*) per small table, in parallel with the dump; ROLLBACK once pg_dump exited
 *
 * The session stays open until pg_dump has exited (an exported snapshot can only be imported while its transaction
 * lives; pg_dump holds the same snapshot anyway, so keeping ours costs the server nothing more). Where the snapshot
 * cannot be exported (or the dump must start before the session is ready, on the direct single-database path), the
 * counts come from a transaction of their own, taken while the dump starts, and say so (`sameSnapshot: false`).
 */
import type pg from 'pg';

import { EngineError } from '../engine';
import { readToolVersion } from './tool-version';
import { connectClient, withClient } from './client';
import type { PostgresConfig, PostgresSecrets } from './config';
import { COUNT_GRACE_MS, countRows, EXACT_COUNT_MAX_BYTES, type RowCountDetails } from './row-counts';
import type { PostgresToolOptions } from './run-tool';
import { checkToolVersion, type ServerVersion } from './version-check';

// Our session only ever waits for an ACCESS SHARE lock (pg_relation_size, count(*)): a table locked by a migration
// costs that table its exact count after this long, never the dump (which has its own lock-wait timeout).
const COUNT_LOCK_TIMEOUT_MS = 10_000;
// Cancelling a count that still runs when the dump ends badly is a courtesy to the server: never wait long for it.
const CANCEL_TIMEOUT_MS = 3_000;

export interface DumpPreparation {
  server?: ServerVersion;
  sizeBytes?: number;
  toolVersion?: string;
  /** Set when the tool cannot dump this server: the dump must not start (or must be stopped). */
  refusal?: EngineError;
  /** The exported snapshot the dump should run in. */
  snapshot?: string;
  /**
   * Counts the dump's rows in the session; call once, right after the dump started. `stop()` (when the dump exited)
   * gives it `COUNT_GRACE_MS` more for exact counts. Resolves undefined when there is nothing to count or it failed.
   */
  countRows(): { result: Promise<RowCountDetails | undefined>; stop(): void };
  /** Ends the session (idempotent). */
  close(): Promise<void>;
}

export interface PrepareDumpOptions {
  tool: 'pg_dump' | 'pg_dumpall';
  /** Export a snapshot for the dump to import. */
  exportSnapshot: boolean;
  /** Count rows (never for a schema-only dump: it holds none). */
  countRows: boolean;
  /**
   * Reject when the session cannot be opened (the multi-database path, where this is the first contact with the
   * database). Otherwise the preparation simply has no facts and the tool reports the problem in its own words.
   */
  strict: boolean;
  signal?: AbortSignal;
  /**
   * The tool's `--version` line when the caller read it already (a multi-database point reads it once for all its
   * databases: the same binary against the same server); otherwise it is read here, beside the connection.
   */
  toolVersion?: Promise<string | undefined>;
  /**
   * A session to `database` the caller opened already and hands over (it is ended like one opened here). If its
   * first query fails, it is dropped and a new one is opened, so a connection that went stale waiting changes nothing.
   */
  client?: pg.Client;
}

/** Prepares a dump of `database`; see the module comment. Never leaves a session open when it rejects. */
export async function prepareDump(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  database: string,
  tools: PostgresToolOptions,
  options: PrepareDumpOptions,
): Promise<DumpPreparation> {
  const toolVersionPromise = options.toolVersion ?? readToolVersion(options.tool, tools);
  // A handed-over session is ours from here: ended on every path that ends one opened here.
  let client: pg.Client | undefined = options.client;
  let server: ServerVersion | undefined;
  let sizeBytes: number | undefined;
  let snapshot: string | undefined;
  let backendPid: number | undefined;
  let inTransaction = false;
  try {
    options.signal?.throwIfAborted();
    const factsSql =
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, pg_catalog.pg_database_size(current_database())::text AS size, pg_catalog.pg_backend_pid() AS pid";
    type Facts = { version: string; num: string; size: string; pid: number };
    const handed = options.client;
    let facts = await handed?.query<Facts>(factsSql).catch(async () => {
      await handed.end().catch(() => undefined);
      return undefined;
    });
    options.signal?.throwIfAborted();
    const session = facts !== undefined && handed !== undefined ? handed : await connectClient(config, secrets, database);
    client = session;
    facts ??= await session.query<Facts>(factsSql);
    const { rows } = facts;
    server = { version: rows[0]!.version, num: Number(rows[0]!.num) };
    sizeBytes = Number(rows[0]!.size);
    backendPid = rows[0]!.pid;
    if (options.exportSnapshot || options.countRows) {
      // A server-side timeout must not end the session (and with it the snapshot) while pg_dump runs.
      await client.query("SELECT pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false)").catch(() => undefined);
      await client.query(`SET lock_timeout = ${COUNT_LOCK_TIMEOUT_MS}`);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      inTransaction = true;
      if (options.exportSnapshot) {
        try {
          snapshot = (await client.query<{ id: string }>('SELECT pg_catalog.pg_export_snapshot() AS id')).rows[0]?.id;
        } catch {
          // E.g. a standby of an old server: the counts then get a transaction of their own.
          await client.query('ROLLBACK');
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        }
      }
    }
  } catch (err) {
    await client?.end().catch(() => undefined);
    client = undefined;
    if (options.strict || options.signal?.aborted) {
      await toolVersionPromise;
      if (options.signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled', { cause: err });
      throw err;
    }
  }
  const toolVersion = await toolVersionPromise;
  const refusal = checkToolVersion(options.tool, toolVersion, server);

  let closed = false;
  let counting: Promise<unknown> = Promise.resolve();
  let countingInFlight = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // A count waiting for a lock never notices its client hang up (the server reads the socket only between
    // statements): cancel it, or the session would linger, holding its place in the lock queue, until lock_timeout.
    if (client !== undefined && countingInFlight && backendPid !== undefined) {
      const pid = backendPid;
      await withTimeout(
        withClient(config, secrets, database, (c) => c.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid])),
        CANCEL_TIMEOUT_MS,
      );
    }
    await client?.end().catch(() => undefined);
    await counting.catch(() => undefined);
  };
  if (refusal !== undefined) await close();

  return {
    ...(server !== undefined && { server }),
    ...(sizeBytes !== undefined && { sizeBytes }),
    ...(toolVersion !== undefined && { toolVersion }),
    ...(refusal !== undefined && { refusal }),
    ...(snapshot !== undefined && { snapshot }),
    countRows() {
      let deadline = Number.POSITIVE_INFINITY;
      const stop = () => {
        deadline = Math.min(deadline, Date.now() + COUNT_GRACE_MS);
      };
      if (client === undefined || !inTransaction || !options.countRows || closed || server === undefined) {
        return { result: Promise.resolve(undefined), stop };
      }
      countingInFlight = true;
      const result = countRows(client, config, server.num, {
        exactMaxBytes: tools.exactCountMaxBytes ?? EXACT_COUNT_MAX_BYTES,
        sameSnapshot: snapshot !== undefined,
        stopExact: () => closed || Date.now() > deadline,
      })
        .catch(() => undefined)
        .finally(() => {
          countingInFlight = false;
        });
      counting = result;
      return { result, stop };
    },
    close,
  };
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
