/**
 * The postgres engine's logical-backup options against real servers: several databases plus the globals as objects
 * (`backupObjects`), schema-only, data-only, table lists and exclusions (names with shell metacharacters and a
 * leading dash taken literally), the refusal of a pg_dump older than the server, per-table row counts (exact and
 * estimated), and restores of one database of a multi-database point and of some tables only.
 *
 * Each object is stored the way the worker would (its stream, or its direct path into a file descriptor) in a temp
 * file, then restored with `options.object`. Uses the shared test server (DATABASE_URL, a superuser with trust auth)
 * with databases and roles of its own, and a private password-checking cluster for `databases: "*"` and for applying
 * the globals by hand.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { spawnProcess } from '@/server/process';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, serverUrl, tableHashes, uniqueName, withClient } from '@/server/testing/pg';
import { findServerBinDir, startScramCluster, type ScramCluster } from '@/server/testing/scram-cluster';
import { isEngineError, type AnyEngine, type EngineBackupResult, type EngineStoredObject } from '../engine';
import { getEngine } from '../registry';
import { createPostgresEngine } from './index';

const run = promisify(execFile);

// Odd names on purpose: a leading dash (an option if passed bare), shell metacharacters and a quote, upper case.
const DASH_TABLE = '-lead_dash';
const ODD_TABLE = "Odd; $(touch pwned) 'q'";
const DB_A = uniqueName('lbt_multi_a');
// Upper case and a space: not a plain role name, so its object is `db-<n>`.
const DB_B = `${uniqueName('lbt_Multi_B')} x`;
const ROLE = uniqueName('lbt_multi_role');
const ROLE_PASSWORD = `pw-${uniqueName('r')}`;
const READER = uniqueName('lbt_multi_reader');
const READER_DB = uniqueName('lbt_multi_rdb');
const created = new Set<string>();

const EXTRA_SQL = `
  CREATE TABLE "${DASH_TABLE}" (id int PRIMARY KEY, v text);
  INSERT INTO "${DASH_TABLE}" SELECT g, 'dash ' || g FROM generate_series(1, 40) g;
  CREATE TABLE "${ODD_TABLE}" (id int PRIMARY KEY, v text);
  INSERT INTO "${ODD_TABLE}" SELECT g, 'odd ' || g FROM generate_series(1, 25) g;
  CREATE TABLE notes (id serial PRIMARY KEY, body text);
  INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 300) g;
`;
// DB_B: a small table and one of about 1 MB (estimated once the exact-count threshold is set below its size).
const B_SQL = `
  CREATE TABLE tiny (id int PRIMARY KEY, v text);
  INSERT INTO tiny SELECT g, md5(g::text) FROM generate_series(1, 17) g;
  CREATE TABLE big (id int PRIMARY KEY, v text);
  INSERT INTO big SELECT g, repeat(md5(g::text), 2) FROM generate_series(1, 12000) g;
  ANALYZE big;
`;

let dir: string;
let server: ReturnType<typeof connectionParts>;
const engine: AnyEngine = getEngine('postgres');

const config = (extra: Record<string, unknown> = {}) => ({ host: server.host, port: server.port, database: DB_A, user: server.user, ...extra });
const secrets = () => (server.password ? { password: server.password } : {});

interface StoredObject extends EngineStoredObject {
  extension: string;
  file: string;
  result: EngineBackupResult;
}

/** Drives `backupObjects` as the worker would: each object stored completely (stream or direct path) before the next. */
async function storeObjects(using: AnyEngine, cfg: unknown, secret: unknown, direct: (index: number) => boolean = () => false): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let index = 0;
  for await (const object of using.backupObjects!(cfg, secret, { compress: false })) {
    const file = path.join(dir, `${uniqueName('object')}.${object.extension}`);
    let result: EngineBackupResult;
    if (direct(index) && object.backupTo !== undefined) {
      const sink = createWriteStream('', { fd: openSync(file, 'w') });
      const started = object.backupTo(sink);
      sink.destroy(); // the child holds its own copy of the descriptor
      result = await started.done;
    } else {
      const { stream, done } = object.backup();
      [, result] = await Promise.all([pipeline(stream, createWriteStream(file)), done]);
    }
    out.push({ role: object.role, extension: object.extension, details: { ...object.details, ...result.details }, file, result });
    index += 1;
  }
  return out;
}

/** The single-database path (`backup`), stored in a temp file. */
async function storeBackup(using: AnyEngine, cfg: unknown): Promise<StoredObject> {
  const file = path.join(dir, `${uniqueName('data')}.pgdump`);
  const { stream, done } = using.backup(cfg, secrets(), { compress: false });
  const [, result] = await Promise.all([pipeline(stream, createWriteStream(file)), done]);
  return { role: 'data', extension: 'pgdump', details: result.details ?? {}, file, result };
}

async function restoreObject(object: StoredObject, target: Record<string, unknown>, cfg: unknown = config()) {
  if (typeof target.database === 'string') created.add(target.database);
  return engine.restore(cfg, secrets(), createReadStream(object.file), target, { object: { role: object.role, details: object.details } });
}

async function databaseExists(name: string): Promise<boolean> {
  return withClient('postgres', async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

/** Every table of the database but in `public` too, as `schema.name`. */
async function tablesOf(database: string): Promise<string[]> {
  return withClient(database, async (c) => {
    const { rows } = await c.query<{ t: string }>(
      "select table_schema || '.' || table_name as t from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1",
    );
    return rows.map((r) => r.t);
  });
}

const countedNames = (object: StoredObject) => (object.details.tables as Array<{ schema: string; name: string }>).map((t) => `${t.schema}.${t.name}`).sort();

beforeAll(async () => {
  server = connectionParts();
  dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-pg-multi-'));
  for (const db of [DB_A, DB_B, READER_DB]) created.add(db);
  await createDatabase(DB_A, SAMPLE_SCHEMA_SQL + EXTRA_SQL);
  await createDatabase(DB_B, B_SQL);
  await withClient('postgres', async (c) => {
    await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
    await c.query(`CREATE ROLE ${READER} LOGIN`);
    await c.query(`CREATE DATABASE ${READER_DB} OWNER ${READER}`);
  });
  await withClient(READER_DB, (c) => c.query(`SET ROLE ${READER}; CREATE TABLE mine (id int PRIMARY KEY); INSERT INTO mine SELECT generate_series(1, 9)`));
});

afterAll(async () => {
  for (const db of created) await dropDatabase(db).catch(() => undefined);
  await withClient('postgres', async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await c.query(`DROP ROLE IF EXISTS ${READER}`);
  }).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('postgres: several databases and the globals (backupObjects)', () => {
  let objects: StoredObject[];

  beforeAll(async () => {
    // The second database takes the direct path (pg_dump writes into the file descriptor), the others stream.
    objects = await storeObjects(engine, config({ databases: [DB_A, DB_B], globals: true }), secrets(), (i) => i === 2);
  }, 120_000);

  it('makes the globals first, then one archive per database with its exact name in the details', () => {
    expect(objects.map((o) => [o.role, o.extension])).toEqual([
      ['globals', 'sql'],
      [`db.${DB_A}`, 'pgdump'],
      ['db-1', 'pgdump'],
    ]);
    expect(objects[0]!.details).toMatchObject({ globals: true, rolePasswords: true });
    expect(objects[0]!.result.format).toBe('pg_dumpall-globals-sql');
    expect(objects[0]!.result.toolVersion).toMatch(/^pg_dumpall \(PostgreSQL\) \d+/);
    expect(objects[1]!.details).toMatchObject({ database: DB_A, contents: 'full' });
    expect(objects[2]!.details).toMatchObject({ database: DB_B, contents: 'full' });
    expect(objects[2]!.result.bytes).toBeUndefined(); // the direct path: the bytes never passed through Node
  });

  it('captures roles with their password hashes as a superuser', async () => {
    const sql = await readFile(objects[0]!.file, 'utf8');
    expect(sql).toMatch(new RegExp(`^CREATE ROLE ${ROLE};$`, 'm'));
    expect(sql).toMatch(new RegExp(`^ALTER ROLE ${ROLE} WITH .*LOGIN.* PASSWORD 'SCRAM-SHA-256\\$`, 'm'));
    expect(sql).toContain('-- PostgreSQL database cluster dump complete');
  });

  it('counts every table’s rows in the dump’s own snapshot', () => {
    const tables = objects[1]!.details.tables as Array<Record<string, unknown>>;
    expect(tables).toEqual(
      expect.arrayContaining([
        { schema: 'public', name: 'customers', rows: 3000, exact: true },
        { schema: 'public', name: 'orders', rows: 5000, exact: true },
        { schema: 'public', name: DASH_TABLE, rows: 40, exact: true },
        { schema: 'public', name: ODD_TABLE, rows: 25, exact: true },
      ]),
    );
    expect(objects[1]!.details.rowCounts).toEqual({ sameSnapshot: true, exactBelowBytes: 64 * 1024 * 1024 });
    // The direct path of a prepared object dumps in its snapshot too.
    expect(objects[2]!.details.rowCounts).toMatchObject({ sameSnapshot: true });
  });

  it('passes verify: the archives with pg_restore --list, the globals as a complete pg_dumpall script', async () => {
    for (const object of objects) {
      const verified = await engine.verify!(createReadStream(object.file));
      expect(verified.entries).toBeGreaterThan(0);
      if (object.role === 'globals') expect(verified.summary).toMatch(/^pg_dumpall globals script: \d+ statements, \d+ roles$/);
    }
    const cut = (await readFile(objects[0]!.file)).subarray(0, 200);
    await expect(engine.verify!(Readable.from([cut]))).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/globals script is incomplete/) });
  });

  it('chooses the object a restore reads by its database, refusing readably what the point does not hold', () => {
    const stored = objects.map(({ role, details }) => ({ role, details }));
    expect(engine.restoreObjects!(config(), { database: 'x', from: DB_B }, stored)).toEqual(['db-1']);
    expect(engine.restoreObjects!(config(), { database: 'x', from: DB_A }, stored)).toEqual([`db.${DB_A}`]);
    const refusal = (target: Record<string, unknown>) => {
      try {
        engine.restoreObjects!(config(), target, stored);
        return undefined;
      } catch (err) {
        return err as Error;
      }
    };
    expect(refusal({ database: 'x' })).toMatchObject({ code: 'INVALID_CONFIG', message: `this backup holds 2 databases ("${DB_A}", "${DB_B}"): say which one to restore with "from"` });
    expect(refusal({ database: 'x', from: 'nope' })).toMatchObject({ code: 'INVALID_CONFIG', field: ['from'], message: `database "nope" is not in this backup; it holds "${DB_A}", "${DB_B}"` });
    // One database and the globals: the database, without `from`.
    expect(engine.restoreObjects!(config(), { database: 'x' }, stored.slice(0, 2))).toEqual([`db.${DB_A}`]);
    expect(refusal({ database: 'x', from: 'globals' })).toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('restores one database of the point into a new database, identical to its source', async () => {
    const target = uniqueName('lbt_multi_restored_b');
    const restored = await restoreObject(objects[2]!, { database: target, from: DB_B });
    expect(restored.target).toBe(target);
    expect(await tableHashes(target)).toEqual(await tableHashes(DB_B));
    // The counts recorded at backup time are what the restored tables hold.
    const counts = await withClient(target, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from tiny')).rows[0]!.n);
    expect((objects[2]!.details.tables as Array<{ name: string; rows: number }>).find((t) => t.name === 'tiny')!.rows).toBe(counts);
  });

  it('names databases that are not on the server: in the probe, and before the first object', async () => {
    const missing = uniqueName('lbt_multi_nope');
    const probe = await engine.probe(config({ databases: [DB_A, missing] }), secrets());
    expect(probe).toMatchObject({ ok: false, message: `not on this server (or templates, or not accepting connections): database "${missing}"` });
    const iterator = engine.backupObjects!(config({ databases: [DB_A, missing], globals: true }), secrets())[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining(`database "${missing}" does not exist`) });
    expect((await engine.probe(config({ databases: [DB_A, DB_B] }), secrets())).ok).toBe(true);
  });

  it('refuses to restore an object into the wrong name of the point, or the globals, before creating anything', async () => {
    const target = uniqueName('lbt_multi_wrong');
    await expect(restoreObject(objects[2]!, { database: target, from: DB_A })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: `the object being restored holds database "${DB_B}", not "${DB_A}"`,
    });
    await expect(restoreObject(objects[0]!, { database: target })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/globals/) });
    expect(await databaseExists(target)).toBe(false);
  });

  it('restores only some tables, with their keys, defaults and sequences, leaving out foreign keys to tables not restored', async () => {
    const target = uniqueName('lbt_multi_some');
    await restoreObject(objects[1]!, { database: target, from: DB_A, tables: ['orders', `public.${ODD_TABLE}`] });
    expect(await tablesOf(target)).toEqual([`public.${ODD_TABLE}`, 'public.orders'].sort());
    const source = await tableHashes(DB_A);
    const copy = await tableHashes(target);
    expect(copy).toEqual({ orders: source.orders, [ODD_TABLE]: source[ODD_TABLE] });
    await withClient(target, async (c) => {
      const constraints = await c.query<{ contype: string }>("select contype from pg_constraint where conrelid = 'orders'::regclass order by 1");
      // Its primary key, not its foreign key to customers (whose rows are not there).
      expect(constraints.rows.map((r) => r.contype)).toEqual(['p']);
      // Its bigserial's sequence came along, positioned after the restored rows.
      const inserted = await c.query<{ id: string }>('insert into orders (total) values (1) returning id::text');
      expect(Number(inserted.rows[0]!.id)).toBe(5001);
    });
  });

  it('restores some tables through the direct path too, and keeps the foreign key when both tables come', async () => {
    const target = uniqueName('lbt_multi_some_direct');
    created.add(target);
    const object = objects[1]!;
    const result = await engine.restoreFrom!(
      config(),
      secrets(),
      { database: target, tables: 'customers, orders' },
      {
        connect: async (stdin) => {
          // Stands in for the worker's zstd -d: a tool writing the archive into the descriptor it was given.
          const cat = spawnProcess({ command: 'cat', args: [object.file], stdout: stdin });
          stdin.destroy();
          const exit = await cat.exited;
          if (exit.code !== 0) throw new Error('cat failed');
          return { bytes: (await readFile(object.file)).length };
        },
      },
      { object: { role: object.role, details: object.details } },
    );
    expect(result.target).toBe(target);
    expect(await tablesOf(target)).toEqual(['public.customers', 'public.orders']);
    await withClient(target, async (c) => {
      const fk = await c.query("select 1 from pg_constraint where conrelid = 'orders'::regclass and contype = 'f'");
      expect(fk.rowCount).toBe(1);
    });
  });

  it('refuses tables the archive does not hold, naming some it does, and tables in place', async () => {
    const target = uniqueName('lbt_multi_notables');
    const err = await restoreObject(objects[1]!, { database: target, tables: ['customers', 'nope'] }).catch((e: unknown) => e);
    expect(isEngineError(err, 'INVALID_CONFIG'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^not in this backup: table "nope"; name tables as name or schema\.name, exactly as in the database \(it holds .*public\.customers/);
    expect(await databaseExists(target)).toBe(false);
    await expect(
      engine.restore(config(), secrets(), createReadStream(objects[1]!.file), { database: DB_A, tables: ['orders'] }, { mode: 'in-place', object: objects[1]! }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/into a new database/) });
  });
});

describe('postgres: a source without databases or globals through backupObjects', () => {
  it('is the classic point: one object "data", in the dump’s snapshot, restorable as before', async () => {
    const objects = await storeObjects(engine, config(), secrets(), () => true);
    expect(objects.map((o) => [o.role, o.extension])).toEqual([['data', 'pgdump']]);
    expect(objects[0]!.details).toMatchObject({ database: DB_A, contents: 'full', rowCounts: { sameSnapshot: true } });
    expect(engine.restoreObjects!(config(), { database: 'x' }, objects)).toEqual(['data']);
    const target = uniqueName('lbt_multi_classic');
    await restoreObject(objects[0]!, { database: target });
    expect(await tableHashes(target)).toEqual(await tableHashes(DB_A));
  });

  it('reports a database that does not exist in pg_dump’s words, as backup does', async () => {
    const missing = uniqueName('lbt_multi_gone');
    const iterator = engine.backupObjects!(config({ database: missing }), secrets())[Symbol.asyncIterator]();
    const first = await iterator.next();
    const { stream, done } = first.value!.backup();
    stream.resume();
    await expect(done).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(new RegExp(`^pg_dump failed: .*database "${missing}" does not exist`)) });
    await iterator.return!(undefined);
  });
});

describe('postgres: a caller that stops iterating', () => {
  it('leaves no pg_dump and no session of ours behind', async () => {
    // pg_dump (and the count session) wait for this lock, so the dump is still running when the caller gives up.
    const locker = new pg.Client({ connectionString: serverUrl(DB_A) });
    await locker.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      const iterator = engine.backupObjects!(config({ databases: [DB_A] }), secrets())[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const { stream, done } = first.value!.backup();
      stream.resume();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await iterator.return!(undefined);
      await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
      await locker.query('COMMIT');
      const ours = async () =>
        withClient('postgres', async (c) => (await c.query("select 1 from pg_stat_activity where datname = $1 and application_name = 'lifeboat'", [DB_A])).rowCount);
      // Backends end a moment after their client hung up.
      for (let i = 0; i < 50 && (await ours()) !== 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await ours()).toBe(0);
    } finally {
      await locker.end();
    }
  });
});

describe('postgres: the globals as a role that may not read password hashes', () => {
  it('leaves the hashes out (--no-role-passwords) and still captures every role', async () => {
    // The globals through the direct path (pg_dumpall writes into the descriptor).
    const objects = await storeObjects(engine, { host: server.host, port: server.port, database: READER_DB, user: READER, globals: true }, {}, (i) => i === 0);
    expect(objects.map((o) => o.role)).toEqual(['globals', `db.${READER_DB}`]);
    expect(objects[0]!.details).toMatchObject({ globals: true, rolePasswords: false });
    const sql = await readFile(objects[0]!.file, 'utf8');
    expect(sql).toMatch(new RegExp(`^ALTER ROLE ${ROLE} WITH .*LOGIN`, 'm'));
    expect(sql).not.toContain('SCRAM-SHA-256$');
    expect(objects[1]!.details.tables).toEqual([{ schema: 'public', name: 'mine', rows: 9, exact: true }]);
  });
});

describe('postgres: what a single-database backup captures', () => {
  it('schema only: every definition, no rows, no row counts', async () => {
    const object = await storeBackup(engine, config({ schemaOnly: true }));
    expect(object.details).toEqual({ database: DB_A, contents: 'schema-only' });
    const target = uniqueName('lbt_multi_schema');
    await restoreObject(object, { database: target });
    expect(await tablesOf(target)).toEqual(await tablesOf(DB_A));
    expect(Object.values(await tableHashes(target)).every((h) => h.startsWith('0:'))).toBe(true);
  });

  it('a table list with a leading dash and shell metacharacters: exactly those tables, taken literally', async () => {
    const tables = ['customers', DASH_TABLE, `"${ODD_TABLE.replaceAll('"', '""')}"`];
    const object = await storeBackup(engine, config({ tables }));
    expect(object.details).toMatchObject({ database: DB_A, contents: 'full', includeTables: tables });
    // The counts cover exactly the tables pg_dump dumped (its own pattern rules, reproduced for the count query).
    expect(countedNames(object)).toEqual([`public.${DASH_TABLE}`, `public.${ODD_TABLE}`, 'public.customers'].sort());
    const toc = await run('pg_restore', ['--list', object.file]);
    const dumped = toc.stdout.split('\n').filter((l) => / TABLE DATA public /.test(l));
    expect(dumped).toHaveLength(3);
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);

    const target = uniqueName('lbt_multi_list');
    await restoreObject(object, { database: target });
    const source = await tableHashes(DB_A);
    expect(await tableHashes(target)).toEqual({ customers: source.customers, [DASH_TABLE]: source[DASH_TABLE], [ODD_TABLE]: source[ODD_TABLE] });
  });

  it('a pattern that matches no table fails the backup instead of shrinking it (--strict-names)', async () => {
    const { stream, done } = engine.backup(config({ tables: ['customers', 'no_such_table'] }), secrets(), { compress: false });
    stream.resume();
    await expect(done).rejects.toMatchObject({ message: expect.stringMatching(/pg_dump failed: .*no matching tables? (were )?found for pattern "no_such_table"/) });
  });

  it('an exclude list: everything but those tables', async () => {
    const object = await storeBackup(engine, config({ excludeTables: ['orders', `"${ODD_TABLE}"`, 'note?'] }));
    expect(countedNames(object)).toEqual([`public.${DASH_TABLE}`, 'public.customers'].sort());
    const target = uniqueName('lbt_multi_excl');
    // orders references customers, not the other way round: the restore needs nothing that was left out.
    await restoreObject(object, { database: target });
    expect(await tablesOf(target)).toEqual([`public.${DASH_TABLE}`, 'public.customers'].sort());
  });

  it('data only: refused by the restore, restorable by hand into the schema with pg_restore --data-only', async () => {
    const data = await storeBackup(engine, config({ dataOnly: true }));
    expect(data.details.contents).toBe('data-only');
    const target = uniqueName('lbt_multi_data');
    expect(() => engine.restoreObjects!(config(), { database: target }, [data])).toThrow(/data only/);
    await expect(restoreObject(data, { database: target })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/pg_restore --data-only/) });
    expect(await databaseExists(target)).toBe(false);

    // The documented way: the schema first (here from a schema-only backup), then the rows.
    const schema = await storeBackup(engine, config({ schemaOnly: true }));
    await restoreObject(schema, { database: target });
    await run('pg_restore', ['--data-only', '--no-owner', '--exit-on-error', '--disable-triggers', `--dbname=${serverUrl(target)}`, data.file]);
    expect(await tableHashes(target)).toEqual(await tableHashes(DB_A));
  });

  it('row counts: exact below the size threshold, the planner’s estimate above it', async () => {
    const small = createPostgresEngine({ exactCountMaxBytes: 64 * 1024 });
    const object = await storeBackup(small, config({ database: DB_B }));
    expect(object.details.tables).toEqual([
      { schema: 'public', name: 'big', rows: 12000, exact: false },
      { schema: 'public', name: 'tiny', rows: 17, exact: true },
    ]);
    expect(object.details.rowCounts).toEqual({ sameSnapshot: true, exactBelowBytes: 64 * 1024 });

    // The direct single-database path starts pg_dump at once: its counts come from a transaction of their own.
    const file = path.join(dir, 'direct.pgdump');
    const sink = createWriteStream('', { fd: openSync(file, 'w') });
    const started = small.backupTo!(config({ database: DB_B }), secrets(), sink, { compress: false });
    sink.destroy();
    const result = await started.done;
    expect(result.details).toMatchObject({ database: DB_B, rowCounts: { sameSnapshot: false }, tables: expect.arrayContaining([{ schema: 'public', name: 'tiny', rows: 17, exact: true }]) });
  });

  it('row counts are of the very rows the archive holds: pg_dump runs in the snapshot they were counted in', async () => {
    // A pg_dump that waits 2 s before it starts, leaving time to commit more rows after the snapshot was exported.
    const wrapperDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-slow-pg-'));
    const started = path.join(wrapperDir, 'started');
    const realPgDump = (await run('sh', ['-c', 'command -v pg_dump'])).stdout.trim();
    await writeFile(
      path.join(wrapperDir, 'pg_dump'),
      ['#!/bin/sh', 'if [ "$1" = "--version" ]; then exec "$REAL_PG_DUMP" "$@"; fi', 'touch "$STARTED"', 'sleep 2', 'exec "$REAL_PG_DUMP" "$@"'].join('\n'),
      { mode: 0o755 },
    );
    const db = uniqueName('lbt_multi_snap');
    created.add(db);
    await createDatabase(db, 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)');
    try {
      const slow = createPostgresEngine({ binDir: wrapperDir, env: { REAL_PG_DUMP: realPgDump, STARTED: started } });
      const [object] = await Promise.all([
        storeBackup(slow, config({ database: db })),
        (async () => {
          while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 20));
          await withClient(db, (c) => c.query('INSERT INTO t SELECT generate_series(11, 15)'));
        })(),
      ]);
      expect(await withClient(db, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from t')).rows[0]!.n)).toBe(15);
      expect(object.details.tables).toEqual([{ schema: 'public', name: 't', rows: 10, exact: true }]);
      const target = uniqueName('lbt_multi_snap_restored');
      await restoreObject(object, { database: target }, config({ database: db }));
      expect(await withClient(target, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from t')).rows[0]!.n)).toBe(10);
    } finally {
      await rm(wrapperDir, { recursive: true, force: true });
    }
  });

  it('refuses a multi-object config on the single-object paths', () => {
    expect(() => engine.backup(config({ globals: true }), secrets())).toThrow(/backupObjects/);
  });
});

/**
 * A pg_dump older than the server, played by a script whose `--version` says 14.3 and which would otherwise "dump"
 * happily (a marker file records that it ran as a dump).
 */
describe('postgres: a pg_dump older than the server', () => {
  let binDir: string;
  let marker: string;
  let old: AnyEngine;
  let serverVersion: string;

  beforeAll(async () => {
    binDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-old-pg-'));
    marker = path.join(binDir, 'ran');
    await writeFile(
      path.join(binDir, 'pg_dump'),
      ['#!/bin/sh', 'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 14.3"; exit 0; fi', 'touch "$FAKE_MARK"', 'printf PGDMP; head -c 2000 /dev/zero', 'exit 0'].join('\n'),
      { mode: 0o755 },
    );
    old = createPostgresEngine({ binDir, env: { FAKE_MARK: marker } });
    serverVersion = await withClient('postgres', async (c) => (await c.query<{ v: string }>("select split_part(current_setting('server_version'), ' ', 1) as v")).rows[0]!.v);
  });

  afterAll(async () => {
    if (binDir) await rm(binDir, { recursive: true, force: true });
  });

  const message = () => `pg_dump 14.3 is older than the server (${serverVersion}); install PostgreSQL ${serverVersion.split('.')[0]} client tools on the worker`;

  it('refuses to start a backup, naming both versions', async () => {
    const { stream, done } = old.backup(config(), secrets());
    stream.resume();
    await expect(done).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: message() });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a multi-object backup before its first object', async () => {
    const iterator = old.backupObjects!(config({ databases: [DB_A] }), secrets())[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: message() });
    expect(existsSync(marker)).toBe(false);
  });

  it('stops the direct path, which must start the tool at once', async () => {
    const sink = createWriteStream('', { fd: openSync(path.join(binDir, 'out'), 'w') });
    const started = old.backupTo!(config(), secrets(), sink);
    sink.destroy();
    await expect(started.done).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: message() });
  });
});

/** A private cluster (password-checking): `databases: "*"` sees exactly its databases. (The globals applied by hand: engines-doc.int.test.ts.) */
describe('postgres: every database of a server', () => {
  const binDir = findServerBinDir();
  let cluster: ScramCluster | undefined;

  beforeAll(async () => {
    if (binDir === undefined) return;
    cluster = await startScramCluster(binDir, 'postgres', `pw-${uniqueName('c')}`);
    const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE one');
      await admin.query('CREATE DATABASE "Two Words"');
    } finally {
      await admin.end();
    }
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.skipIf(binDir === undefined)('"*": one archive per database that is not a template, in name order', async () => {
    const cfg = { host: cluster!.host, port: cluster!.port, database: 'postgres', user: cluster!.user, databases: '*' };
    const objects = await storeObjects(engine, cfg, { password: cluster!.password }, (i) => i === 1);
    expect(objects.map((o) => [o.role, o.details.database])).toEqual([
      ['db-0', 'Two Words'],
      ['db.one', 'one'],
      ['db.postgres', 'postgres'],
    ]);
  });
});
