/**
 * Backups made of several objects (`Engine.backupObjects`) and the choice of what a restore reads (`restoreObjects`).
 *
 * A point of a source with `databases` and/or `globals` holds, in this order:
 *   - `globals` (extension `sql`): `pg_dumpall --globals-only`, roles and tablespaces; details `{ globals, rolePasswords }`;
 *   - one `pg_dump -Fc` archive per database (extension `pgdump`), role `db.<name>` when the name is plain
 *     (`[a-z0-9_]{1,60}`) and `db-<n>` (its position in the list) otherwise; details `{ database: "<exact name>", … }`.
 * A source without either makes the classic point: one archive of `database`, role `data`.
 *
 * Databases are dumped one after the other, each in its own snapshot (as pg_dumpall does): every archive is
 * consistent in itself, not with the others.
 */
import type pg from 'pg';

import { EngineError, type EngineBackup, type EngineBackupObject, type EngineBackupTo, type EngineRunOptions, type EngineStoredObject } from '../engine';
import { classifyClientError } from './classify-error';
import { databaseDumpSpec, databaseDetails, dumpTo, globalsDumpSpec, streamDump } from './backup';
import { connectClient, describeServer, pgErrorMessage } from './client';
import { dumpContents, isMultiObject, type PostgresConfig, type PostgresRestoreTarget, type PostgresSecrets } from './config';
import { prepareDump, type DumpPreparation } from './dump-session';
import type { PostgresToolOptions } from './run-tool';
import { readToolVersion } from './tool-version';
import { checkToolVersion, type ServerVersion } from './version-check';

/** The role of a single-database point's object, as `backup`/`backupTo` make it. */
export const DATA_ROLE = 'data';
export const GLOBALS_ROLE = 'globals';
// Names that can be a role as they are; anything else (upper case, dots, spaces, quotes, long names) gets its position.
const PLAIN_DATABASE_NAME = /^[a-z0-9_]{1,60}$/;

/** The role of the archive of `database`, the `index`-th database of the point. */
export function databaseRole(database: string, index: number): string {
  return PLAIN_DATABASE_NAME.test(database) ? `db.${database}` : `db-${index}`;
}

/** See the module comment. Throws/rejects with `EngineError`s as `backup` does; stops cleanly on `return()`. */
export async function* backupPostgresObjects(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): AsyncGenerator<EngineBackupObject> {
  const { signal } = options;
  const counts = dumpContents(config) !== 'schema-only';
  if (!isMultiObject(config)) {
    // Today's single-database point, exactly as `backup` makes it (connection problems reported in pg_dump's words).
    yield* databaseObjects(config, secrets, [{ role: DATA_ROLE, database: config.database }], options, tools, counts, { strict: false, skipVanished: false });
    return;
  }

  // The tools' versions are read once for the whole point (every database is dumped by the same pg_dump from the
  // same server), beside the cluster's facts rather than after them.
  const dumpVersionPromise = readToolVersion('pg_dump', tools);
  const dumpallVersionPromise = config.globals === true ? readToolVersion('pg_dumpall', tools) : Promise.resolve(undefined);
  const versionsRead = Promise.all([dumpVersionPromise, dumpallVersionPromise]);
  let cluster: ClusterFacts;
  try {
    cluster = await readCluster(config, secrets, signal);
  } catch (err) {
    // Nothing of ours keeps running once this rejects, not even a `--version`.
    await versionsRead.catch(() => undefined);
    throw err;
  }
  // The cluster's session is `config.database`'s: when that is the first database dumped, its dump session is this
  // one (one connection fewer per point); otherwise, or if the generator ends first, it is ended.
  const session: SpareSession = { client: cluster.client, database: config.database };
  try {
    // Refuse before anything is dumped: the globals come first, and a pg_dump too old for the server would only fail later.
    const [dumpVersion, dumpallVersion] = await versionsRead;
    const refusal = checkToolVersion('pg_dump', dumpVersion, cluster.server) ?? checkToolVersion('pg_dumpall', dumpallVersion, cluster.server);
    if (refusal !== undefined) throw refusal;

    const databases = config.databases === undefined ? [config.database] : config.databases === '*' ? cluster.databases : config.databases;
    if (Array.isArray(config.databases)) {
      const missing = config.databases.filter((name) => !cluster.databases.includes(name));
      if (missing.length > 0) {
        throw new EngineError(
          'INVALID_CONFIG',
          `database${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on ${describeServer(config)} (or ${missing.length > 1 ? 'are templates or do' : 'is a template or does'} not accept connections)`,
        );
      }
    }

    if (config.globals === true) {
      const spec = globalsDumpSpec(config, !cluster.mayReadPasswords);
      const prepared: DumpPreparation = {
        server: cluster.server,
        ...(dumpallVersion !== undefined && { toolVersion: dumpallVersion }),
        countRows: () => ({ result: Promise.resolve(undefined), stop: () => undefined }),
        close: async () => undefined,
      };
      const running = new Running();
      try {
        yield {
          role: GLOBALS_ROLE,
          extension: 'sql',
          details: spec.details,
          backup: (more) => running.stream(streamDump(spec, secrets, { ...options, ...more }, tools, () => Promise.resolve(prepared))),
          backupTo: (sink, more) => running.direct(dumpTo(spec, secrets, sink, { ...options, ...more }, tools, prepared)),
        };
      } finally {
        await running.stop();
      }
    }

    const entries = databases.map((database, index) => ({ role: databaseRole(database, index), database }));
    yield* databaseObjects(config, secrets, entries, options, tools, counts, { strict: true, skipVanished: config.databases === '*', session, toolVersion: dumpVersionPromise });
  } finally {
    await session.client?.end().catch(() => undefined);
  }
}

/**
 * One object per database: each prepared (snapshot exported, versions checked) before it is yielded, so both its
 * `backup` and its `backupTo` start pg_dump in that snapshot; the session ends when the dump does, or when the
 * caller moves on or stops without dumping it. `strict`: a database Lifeboat cannot connect to fails the run before
 * pg_dump starts (otherwise pg_dump says why). With `skipVanished` (`databases: "*"`), a database dropped since the
 * list was read is skipped rather than failing the run.
 */
async function* databaseObjects(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  entries: ReadonlyArray<{ role: string; database: string }>,
  options: EngineRunOptions,
  tools: PostgresToolOptions,
  counts: boolean,
  { strict, skipVanished, session, toolVersion }: { strict: boolean; skipVanished: boolean; session?: SpareSession; toolVersion?: Promise<string | undefined> },
): AsyncGenerator<EngineBackupObject> {
  for (const [index, { role, database }] of entries.entries()) {
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled');
    // The cluster's session serves only the first database (a later one's would have waited idle for whole dumps).
    const spare = index === 0 ? session?.client : undefined;
    if (spare !== undefined) session!.client = undefined;
    const client = spare !== undefined && session!.database === database ? spare : undefined;
    if (spare !== undefined && client === undefined) await spare.end().catch(() => undefined);
    let prepared: DumpPreparation;
    try {
      prepared = await prepareDump(config, secrets, database, tools, {
        tool: 'pg_dump',
        exportSnapshot: true,
        countRows: counts,
        strict,
        signal: options.signal,
        ...(toolVersion !== undefined && { toolVersion }),
        ...(client !== undefined && { client }),
      });
    } catch (err) {
      if (skipVanished && err instanceof EngineError && /does not exist/.test(err.message) && err.code === 'INVALID_CONFIG') continue;
      throw err;
    }
    if (prepared.refusal !== undefined) throw prepared.refusal;
    const running = new Running();
    try {
      yield {
        role,
        extension: 'pgdump',
        details: databaseDetails(config, database),
        backup: (more) => {
          const merged = { ...options, ...more };
          return running.stream(streamDump(databaseDumpSpec(config, database, merged.compress), secrets, merged, tools, () => Promise.resolve(prepared)));
        },
        backupTo: (sink, more) => {
          const merged = { ...options, ...more };
          return running.direct(dumpTo(databaseDumpSpec(config, database, merged.compress), secrets, sink, merged, tools, prepared));
        },
      };
    } finally {
      await running.stop();
      await prepared.close();
    }
  }
}

/**
 * The dump an object started, so that a caller who stops iterating (`return()`, after a failure elsewhere) leaves no
 * tool of ours running. Stopping a dump that finished is a no-op.
 */
class Running {
  private stopper: (() => void) | undefined;
  private settled: Promise<unknown> = Promise.resolve();

  stream(backup: EngineBackup): EngineBackup {
    this.stopper = () => backup.stream.destroy();
    this.settled = backup.done.catch(() => undefined);
    return backup;
  }

  direct(backup: EngineBackupTo): EngineBackupTo {
    this.stopper = () => backup.kill();
    this.settled = backup.done.catch(() => undefined);
    return backup;
  }

  async stop(): Promise<void> {
    this.stopper?.();
    await this.settled;
  }
}

/** An open session to `database` that the point may reuse for that database's dump (the cluster's, see readCluster). */
interface SpareSession {
  client: pg.Client | undefined;
  database: string;
}

interface ClusterFacts {
  /** The session the facts were read in (to `config.database`), still open: the caller ends or reuses it. */
  client: pg.Client;
  server: ServerVersion;
  /** Databases a backup of `*` covers: not templates, accepting connections; by name in byte order. */
  databases: string[];
  /** Whether the role may read `pg_authid` (the password hashes): superusers may. */
  mayReadPasswords: boolean;
}

async function readCluster(config: PostgresConfig, secrets: PostgresSecrets, signal?: AbortSignal): Promise<ClusterFacts> {
  // An EngineError, not the signal's AbortError: the worker records CANCELLED (the conformance suite checks it).
  if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled');
  const client = await connectClient(config, secrets, config.database);
  const onAbort = () => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const facts = await client.query<{ version: string; num: string; passwords: boolean }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT') AS passwords",
    );
    const list = await client.query<{ name: string }>('SELECT datname AS name FROM pg_catalog.pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname COLLATE "C"');
    const row = facts.rows[0]!;
    signal?.removeEventListener('abort', onAbort);
    // Aborted while the last answer came: the client is being ended, and the cancellation stands.
    if (signal?.aborted) throw new Error('aborted');
    return { client, server: { version: row.version, num: Number(row.num) }, databases: list.rows.map((r) => r.name), mayReadPasswords: row.passwords };
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
    if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled', { cause: err });
    throw new EngineError(classifyClientError(err) ?? 'CONNECTION_FAILED', `could not list the databases on ${describeServer(config)}: ${pgErrorMessage(err)}`, { cause: err });
  }
}

/** The database an object holds: its details' `database`; a single-database point's `data` object of old has none. */
export function objectDatabase(object: Pick<EngineStoredObject, 'role' | 'details'>, config: Pick<PostgresConfig, 'database'>): string | undefined {
  const database = object.details.database;
  if (typeof database === 'string') return database;
  return object.role === DATA_ROLE ? config.database : undefined;
}

/**
 * The one object a restore into `target` reads (see `Engine.restoreObjects`): the archive of `target.from`, or the
 * point's only database. Refuses (`INVALID_CONFIG`, naming what the point holds) a `from` the point lacks, a point of
 * several databases without `from`, the globals (applied by hand) and a data-only archive (no table definitions to
 * restore into a new or emptied database). Whether the archive holds `tables` is known only from its table of
 * contents, when the restore runs (restore-tables.ts).
 */
export function choosePostgresObjects(config: PostgresConfig, target: PostgresRestoreTarget, objects: readonly EngineStoredObject[]): string[] {
  const databases = objects.flatMap((object) => {
    const database = objectDatabase(object, config);
    return database === undefined ? [] : [{ object, database }];
  });
  const names = databases.map((d) => `"${d.database}"`).join(', ');
  if (target.from === undefined && databases.length === 0) {
    throw new EngineError('INVALID_CONFIG', 'this backup holds no database (only the globals: apply globals.sql by hand with psql, see docs/ENGINES.md)');
  }
  if (target.from === undefined && databases.length > 1) {
    throw new EngineError('INVALID_CONFIG', `this backup holds ${databases.length} databases (${names}): say which one to restore with "from"`, { field: ['from'] });
  }
  const chosen = target.from === undefined ? databases[0] : databases.find((d) => d.database === target.from);
  if (chosen === undefined) {
    throw new EngineError(
      'INVALID_CONFIG',
      databases.length === 0 ? `database "${target.from}" is not in this backup, which holds no database` : `database "${target.from}" is not in this backup; it holds ${names}`,
      { field: ['from'] },
    );
  }
  assertRestorable(chosen.object);
  return [chosen.object.role];
}

/** Refusals that depend on the object itself, checked when the restore is requested and again when it runs. */
export function assertRestorable(object: Pick<EngineStoredObject, 'role' | 'details'>): void {
  if (object.role === GLOBALS_ROLE || object.details.globals === true) {
    throw new EngineError('INVALID_CONFIG', 'the globals (roles, tablespaces) are never applied by Lifeboat: apply globals.sql by hand with psql (docs/ENGINES.md)');
  }
  if (object.details.contents === 'data-only') {
    throw new EngineError(
      'INVALID_CONFIG',
      'this archive is data only (no table definitions): restore it by hand into a database that has the schema, with pg_restore --data-only (docs/ENGINES.md)',
    );
  }
}
