/**
 * The postgres engine against a real server: dump through the engine into the local-disk driver, restore
 * into a new database, and compare every table row by row (via an ordered hash).
 *
 * Needs PostgreSQL at 127.0.0.1:5432 where the `postgres` role is a superuser (trust auth on CI), and the
 * client tools on PATH. The wrong-password case needs a server that actually checks passwords, so it starts
 * a throwaway scram-sha-256 cluster with initdb (skipped, with a reason, where initdb is unavailable).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLocalDiskDriver } from '../../storage/local-disk';
import type { StorageDriver } from '../../storage/driver';
import { runArtifactKeys } from '../../storage/layout';
import { isEngineError, type EngineProgress } from '../engine';
import { getEngine } from '../registry';
import { createPostgresEngine, postgresEngine } from './index';
import { findServerBinDir, startScramCluster, type ScramCluster } from '@/server/testing/scram-cluster';
import { produceArtifact } from '@/workers/backup/produce-artifact';

const SERVER = { host: '127.0.0.1', port: 5432 };
const ADMIN_USER = 'postgres';
const suffix = randomBytes(4).toString('hex');
// Odd on purpose: spaces, a quote, a semicolon and a double quote must survive conninfo and SQL quoting.
const SOURCE_DB = `lb_it_${suffix} it's; "drop"`;
// Starts with "-" so any place that passes it as a bare argv element would misparse it as an option.
const RESTORED_DB = `-lb_it_${suffix}_restored`;
const createdDatabases = new Set<string>([SOURCE_DB]);

let storageRoot: string;
let driver: StorageDriver;

async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>, server = SERVER, password?: string): Promise<T> {
  const client = new pg.Client({ ...server, user: ADMIN_USER, database, ...(password !== undefined && { password }) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin('postgres', (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
}

async function databaseExists(name: string): Promise<boolean> {
  return withAdmin('postgres', async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

const SEED_SQL = String.raw`
  create table items (
    id int primary key,
    name text not null,
    price numeric(12,2),
    created_at timestamptz not null,
    local_ts timestamp,
    day date,
    note text,
    payload bytea,
    doc jsonb,
    meta json,
    tags text[],
    flag boolean
  );
  insert into items
  select i,
    'item ' || i || case when i % 11 = 0 then E' with \t tab, ''quote'', "dq", back\\slash and émoji 🚀' else '' end,
    case when i % 5 = 0 then null else (i * 1.37)::numeric(12,2) end,
    timestamptz '2024-01-01 00:00:00+00' + i * interval '37 minutes 13.123456 seconds',
    case when i % 3 = 0 then null else timestamp '2000-02-29 12:34:56.789' + i * interval '1 day' end,
    date '1999-12-31' + i,
    case when i % 7 = 0 then null else repeat('n', i % 50) end,
    case when i % 4 = 0 then null else '\x00ff00'::bytea || decode(repeat(md5(i::text), 1 + i % 20), 'hex') end,
    case when i % 6 = 0 then null else jsonb_build_object('i', i, 'sq', i * i, 'nested', jsonb_build_object('a', array[i, i + 1]), 'txt', E'ü"\\') end,
    json_build_object('k', i, 'n', null),
    array['a' || i, null, 'c'],
    case when i % 9 = 0 then null else i % 2 = 0 end
  from generate_series(1, 5000) as s(i);
  create index items_created_at on items (created_at);

  create table "Weird Table; drop" (id bigserial primary key, v double precision, big bigint, iv interval, u uuid);
  insert into "Weird Table; drop" (v, big, iv, u)
    select i / 3.0, i::bigint * 1000000007, i * interval '1 second', md5(i::text)::uuid from generate_series(1, 2000) s(i);
  insert into "Weird Table; drop" (v) values ('NaN'), ('Infinity'), ('-Infinity'), (null);

  create table empty_table (id int primary key, x text);
  create view item_names as select id, name from items;
  create sequence standalone_seq start 42;
  select nextval('standalone_seq'), nextval('standalone_seq');
`;

/** Ordered content hash of every base table in `public`, plus the view list and a sequence's position. */
async function fingerprint(database: string): Promise<Record<string, string>> {
  return withAdmin(database, async (c) => {
    const result: Record<string, string> = {};
    const tables = await c.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    );
    for (const { name } of tables.rows) {
      const { rows } = await c.query<{ n: number; h: string }>(
        `select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as h from public.${c.escapeIdentifier(name)} t`,
      );
      result[`table ${name}`] = `${rows[0]!.n} rows, md5 ${rows[0]!.h}`;
    }
    const views = await c.query<{ names: string }>(
      "select string_agg(table_name, ',' order by table_name) as names from information_schema.views where table_schema = 'public'",
    );
    result.views = views.rows[0]!.names;
    const seq = await c.query<{ v: string }>('select last_value::text as v from standalone_seq');
    result.standalone_seq = seq.rows[0]!.v;
    return result;
  });
}

/** All files under the storage root, temp files included: "nothing left behind" must see those too. */
async function filesOnDisk(): Promise<string[]> {
  const entries = await readdir(storageRoot, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(storageRoot, path.join(e.parentPath, e.name)));
}

function keysFor(runId: string) {
  return runArtifactKeys({ sourceId: `src_${suffix}`, runId, startedAt: new Date() }, 'pgdump');
}

const sourceConfig = { ...SERVER, database: SOURCE_DB, user: ADMIN_USER };

beforeAll(async () => {
  storageRoot = await mkdtemp(path.join(tmpdir(), 'lifeboat-pg-it-'));
  driver = createLocalDiskDriver({ root: storageRoot });
  await withAdmin('postgres', (c) => c.query(`create database ${c.escapeIdentifier(SOURCE_DB)}`));
  await withAdmin(SOURCE_DB, (c) => c.query(SEED_SQL));
});

afterAll(async () => {
  for (const db of createdDatabases) await dropDatabase(db).catch(() => undefined);
  if (storageRoot) await rm(storageRoot, { recursive: true, force: true });
});

describe('postgres engine (integration)', () => {
  it('probes the server', async () => {
    const result = await postgresEngine.probe(sourceConfig, {});
    expect(result.ok).toBe(true);
    expect(result.version).toMatch(/^PostgreSQL \d+/);

    const missing = await postgresEngine.probe({ ...sourceConfig, database: `nope_${suffix}` }, {});
    expect(missing.ok).toBe(false);
    expect(missing.message).toMatch(new RegExp(`database "nope_${suffix}" does not exist`));
  });

  it('backs up into local disk and restores into a new database with identical content', async () => {
    const keys = keysFor('run-roundtrip');
    const progress: EngineProgress[] = [];
    const engine = getEngine('postgres'); // through the registry, as the workers use it
    const { stream, done } = engine.backup(sourceConfig, {}, { onProgress: (p) => progress.push(p) });
    const [stored, result] = await Promise.all([driver.put(keys.data, stream), done]);

    expect(stored.size).toBeGreaterThan(100_000);
    expect(result.bytes).toBe(stored.size);
    expect(result.format).toBe('pg_dump-custom');
    expect(result.serverVersion).toMatch(/^\d+\.\d+/);
    expect(result.sourceSizeBytes).toBeGreaterThan(0);
    expect(result.toolVersion).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
    expect(progress.at(-1)).toMatchObject({ phase: 'backup', bytes: stored.size });
    const file = await readFile(path.join(storageRoot, ...keys.data.split('/')));
    expect(file.subarray(0, 5).toString()).toBe('PGDMP');
    expect(createHash('sha256').update(file).digest('hex')).toBe(stored.sha256);

    createdDatabases.add(RESTORED_DB);
    const restoreProgress: EngineProgress[] = [];
    const restored = await engine.restore(
      sourceConfig,
      {},
      await driver.get(keys.data),
      { database: RESTORED_DB },
      { onProgress: (p) => restoreProgress.push(p) },
    );
    expect(restored).toMatchObject({ bytes: stored.size, target: RESTORED_DB });
    expect(restoreProgress.at(-1)).toMatchObject({ phase: 'restore', bytes: stored.size });

    const [source, copy] = await Promise.all([fingerprint(SOURCE_DB), fingerprint(RESTORED_DB)]);
    expect(Object.keys(source)).toEqual(expect.arrayContaining(['table items', 'table Weird Table; drop', 'table empty_table']));
    expect(source['table items']).toMatch(/^5000 rows/);
    expect(copy).toEqual(source);
  });

  it.each([
    ['database', { database: `nope_${suffix}` }, 'INVALID_CONFIG', new RegExp(`pg_dump failed: .*database "nope_${suffix}" does not exist`)],
    ['role', { user: `ghost_${suffix}` }, 'AUTH_FAILED', new RegExp(`pg_dump failed: .*role "ghost_${suffix}" does not exist`)],
  ] as const)('rejects done readably and stores nothing when the %s does not exist', async (_what, override, code, message) => {
    const keys = keysFor(`run-missing-${_what}`);
    const { stream, done } = postgresEngine.backup({ ...sourceConfig, ...override }, {});
    const putting = driver.put(keys.data, stream);
    // Its rejection is checked after `done`'s, which settles later (once pg_dump and its version probe are gone).
    putting.catch(() => undefined);

    const err = await done.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, code), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    await expect(putting).rejects.toBe(err);
    expect(await driver.head(keys.data)).toBeNull();
    expect((await filesOnDisk()).filter((f) => f.includes(`run-missing-${_what}`))).toEqual([]);
  });

  it('cancels a running backup: child killed, done rejects CANCELLED, nothing stored', async () => {
    const keys = keysFor('run-cancelled');
    const controller = new AbortController();
    const { stream, done } = postgresEngine.backup(sourceConfig, {}, { signal: controller.signal });
    const putting = driver.put(keys.data, stream, { signal: controller.signal });
    // Its rejection is checked after `done`'s, which settles later (once pg_dump and its version probe are gone).
    putting.catch(() => undefined);
    controller.abort();

    const err = await done.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, 'CANCELLED'), String(err)).toBe(true);
    await expect(putting).rejects.toThrow();
    expect(await driver.head(keys.data)).toBeNull();
  });

  it('stops the dump when the consumer gives up', async () => {
    const { stream, done } = postgresEngine.backup(sourceConfig, {});
    stream.once('data', () => stream.destroy());
    const err = await done.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, 'CANCELLED'), String(err)).toBe(true);
  });

  it('refuses to restore into an existing database and leaves it untouched', async () => {
    const existing = `lb_it_${suffix}_existing`;
    createdDatabases.add(existing);
    await withAdmin('postgres', (c) => c.query(`create database ${c.escapeIdentifier(existing)}`));
    await withAdmin(existing, (c) => c.query('create table keep_me (id int); insert into keep_me values (1)'));

    const input = Readable.from([Buffer.from('PGDMP not really a dump')]);
    const err = await postgresEngine.restore(sourceConfig, {}, input, { database: existing }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEngineError(err, 'TARGET_EXISTS'), String(err)).toBe(true);
    expect((err as Error).message).toContain(`database "${existing}" already exists`);
    expect(input.destroyed).toBe(true);
    const rows = await withAdmin(existing, (c) => c.query('select count(*)::int as n from keep_me'));
    expect(rows.rows[0]).toEqual({ n: 1 });
  });

  it('drops the half-restored database when pg_restore fails on a truncated archive', async () => {
    const keys = keysFor('run-for-truncation');
    const { stream, done } = postgresEngine.backup(sourceConfig, {});
    await Promise.all([driver.put(keys.data, stream), done]);
    const whole = await buffer(await driver.get(keys.data));

    const target = `lb_it_${suffix}_truncated`;
    createdDatabases.add(target);
    const truncated = Readable.from([whole.subarray(0, Math.floor(whole.length * 0.6))]);
    const err = await postgresEngine.restore(sourceConfig, {}, truncated, { database: target }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isEngineError(err, 'TOOL_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^pg_restore failed: /);
    expect(await databaseExists(target)).toBe(false);
  });

  it('cancels a running restore: pg_restore killed, new database dropped', async () => {
    const keys = keysFor('run-for-cancel');
    const { stream, done } = postgresEngine.backup(sourceConfig, {});
    await Promise.all([driver.put(keys.data, stream), done]);
    const whole = await buffer(await driver.get(keys.data));

    const target = `lb_it_${suffix}_cancelled`;
    createdDatabases.add(target);
    // Hands over part of the archive, then stalls like a slow download.
    let sent = false;
    const stalled = new Readable({
      read() {
        if (!sent) this.push(whole.subarray(0, Math.floor(whole.length / 3)));
        sent = true;
      },
    });
    const controller = new AbortController();
    const restoring = postgresEngine.restore(sourceConfig, {}, stalled, { database: target }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await databaseExists(target)).toBe(true);
    controller.abort();

    const err = await restoring.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, 'CANCELLED'), String(err)).toBe(true);
    expect(stalled.destroyed).toBe(true);
    expect(await databaseExists(target)).toBe(false);
  });

  it('reports an unreadable artifact as the cause, and drops the new database', async () => {
    const target = `lb_it_${suffix}_badinput`;
    createdDatabases.add(target);
    const storageFailure = new Error('storage read failed');
    // The header once, then the download breaks: pg_restore is still waiting for the rest when it does. (Pushing the
    // header on every read made a garbage archive that pg_restore could reject before the failure, on a fast machine.)
    let sent = false;
    const input = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(Buffer.from('PGDMP'));
        setTimeout(() => this.destroy(storageFailure), 50);
      },
    });
    await expect(postgresEngine.restore(sourceConfig, {}, input, { database: target })).rejects.toBe(storageFailure);
    expect(await databaseExists(target)).toBe(false);
  });
});

/**
 * Failure modes a real pg_dump rarely shows on demand, played by a stand-in script: output followed by a
 * non-zero exit (the classic "a pipe hid the exit code" bug), a clean exit with no output, and output that
 * is not a custom-format archive. The engine runs it exactly like pg_dump: by path, argv array, no shell.
 */
describe('postgres engine with a misbehaving pg_dump', () => {
  let binDir: string;

  beforeAll(async () => {
    binDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-fake-pg-'));
    const script = [
      '#!/bin/sh',
      'if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi',
      'case "$FAKE_PG_DUMP" in',
      '  partial) printf PGDMP; head -c 200000 /dev/zero; echo "pg_dump: error: query failed: ERROR:  permission denied for table secret" >&2; exit 1 ;;',
      '  empty) exit 0 ;;',
      '  garbage) echo "this is not a dump"; exit 0 ;;',
      'esac',
      'exit 3',
    ].join('\n');
    await writeFile(path.join(binDir, 'pg_dump'), script, { mode: 0o755 });
  });

  afterAll(async () => {
    if (binDir) await rm(binDir, { recursive: true, force: true });
  });

  it.each([
    ['partial', 'PERMISSION_DENIED', /^pg_dump failed: query failed: ERROR: permission denied for table secret$/],
    ['empty', 'EMPTY_OUTPUT', /produced no output/],
    ['garbage', 'EMPTY_OUTPUT', /not a custom-format archive/],
  ] as const)('%s output: done rejects with %s and storage keeps nothing', async (mode, code, message) => {
    const engine = createPostgresEngine({ binDir, env: { FAKE_PG_DUMP: mode } });
    const keys = keysFor(`run-fake-${mode}`);
    // The source must be reachable only for the best-effort metadata query; the dump itself is the script.
    const { stream, done } = engine.backup(sourceConfig, {});
    const putting = driver.put(keys.data, stream);
    // Its rejection is checked after `done`'s, which settles later (once pg_dump and its version probe are gone).
    putting.catch(() => undefined);
    const err = await done.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, code), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    await expect(putting).rejects.toBe(err);
    expect(await driver.head(keys.data)).toBeNull();
    expect((await filesOnDisk()).filter((f) => f.includes(`run-fake-${mode}`))).toEqual([]);
  });
});

/**
 * The main server trusts every local connection, so a wrong password would be accepted there. This starts a
 * private cluster that requires scram-sha-256 on a free port, owned by the `postgres` OS user when we are root
 * (the server refuses to run as root).
 */
describe('postgres engine against a password-checking server (integration)', () => {
  const binDir = findServerBinDir();
  const PASSWORD = `pw-${randomBytes(6).toString('hex')} it's`;
  let cluster: ScramCluster | undefined;
  let port = 0;

  beforeAll(async () => {
    if (binDir === undefined) return;
    cluster = await startScramCluster(binDir, ADMIN_USER, PASSWORD);
    port = cluster.port;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it.skipIf(binDir === undefined)('rejects a wrong password readably, stores nothing, never leaks it; the right one works', async () => {
    const cfg = { host: '127.0.0.1', port, database: 'postgres', user: ADMIN_USER };
    const keys = keysFor('run-wrong-password');

    const probe = await postgresEngine.probe(cfg, { password: 'wrong' });
    expect(probe.ok).toBe(false);
    expect(probe.message).toMatch(/password authentication failed for user "postgres"/);

    const { stream, done } = postgresEngine.backup(cfg, { password: 'definitely-wrong' });
    const putting = driver.put(keys.data, stream);
    // Its rejection is checked after `done`'s, which settles later (once pg_dump and its version probe are gone).
    putting.catch(() => undefined);
    const err = await done.then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, 'AUTH_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^pg_dump failed: .*password authentication failed for user "postgres"/);
    expect((err as Error).message).not.toContain('definitely-wrong');
    await expect(putting).rejects.toBe(err);
    expect(await driver.head(keys.data)).toBeNull();

    // No password at all must not fall back to anything the worker has (PGPASSWORD etc.).
    const none = postgresEngine.backup(cfg, {});
    none.stream.resume();
    await expect(none.done).rejects.toMatchObject({ code: 'AUTH_FAILED', message: expect.stringMatching(/pg_dump failed: .*(password|no password supplied)/) });

    const good = postgresEngine.backup(cfg, { password: PASSWORD });
    const goodKeys = keysFor('run-right-password');
    const [stored, result] = await Promise.all([driver.put(goodKeys.data, good.stream), good.done]);
    expect(stored.size).toBe(result.bytes);
    expect((await postgresEngine.probe(cfg, { password: PASSWORD })).ok).toBe(true);

    // Restore with the password too (creates and fills a database on the scram server).
    await postgresEngine.restore(cfg, { password: PASSWORD }, await driver.get(goodKeys.data), { database: 'restored_with_password' });
    const exists = await withAdmin(
      'postgres',
      async (c) => (await c.query("select 1 from pg_database where datname = 'restored_with_password'")).rowCount,
      { host: '127.0.0.1', port },
      PASSWORD,
    );
    expect(exists).toBe(1);
  });

  it.skipIf(binDir === undefined)('the worker’s direct path (pg_dump writes into zstd) takes the password the same way', async () => {
    const cfg = { host: '127.0.0.1', port, database: 'postgres', user: ADMIN_USER };
    const produce = (password: string, key: string) =>
      produceArtifact({ engine: postgresEngine, config: cfg, secrets: { password }, driver, key, compressionLevel: 3, recipients: [] });

    const wrongKeys = keysFor('run-direct-wrong-password');
    const err = await produce('definitely-wrong', wrongKeys.data).then(() => undefined, (e: unknown) => e);
    expect(isEngineError(err, 'AUTH_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^pg_dump failed: .*password authentication failed for user "postgres"/);
    expect((err as Error).message).not.toContain('definitely-wrong');
    expect(await driver.head(wrongKeys.data)).toBeNull();

    const goodKeys = keysFor('run-direct-right-password');
    const produced = await produce(PASSWORD, goodKeys.data);
    expect(produced.codec).toBe('zstd');
    expect(produced.rawBytes).toBeGreaterThan(0);
    expect(await driver.head(goodKeys.data)).toMatchObject({ size: produced.stored.size });
  });
});
