/**
 * The `in-place` restore mode against the real server named by DATABASE_URL, with the real pg_dump, pg_restore and
 * psql: a backup restored over a database that changed since brings back exactly the backup's contents, a restore
 * that fails at any point (a truncated or corrupted artifact, a statement that fails at the very end, a verdict on
 * the bytes that comes after pg_restore read them all) leaves the database exactly as it was, and a target that does
 * not exist is refused before anything runs.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionParts } from '@/server/testing/pg';
import { isEngineError, type EngineRestoreSource } from '../engine';
import { getEngine } from '../registry';
import { postgresDefinition } from './definition';

const engine = getEngine('postgres'); // through the registry, as the worker uses it
const suffix = randomBytes(4).toString('hex');
// A quote, a space and a semicolon: the name must survive psql's conninfo as it does pg_restore's.
const DB = `lbt_inplace_${suffix} it's; x`;
const MISSING_DB = `lbt_inplace_${suffix}_missing`;
const GHOST_ROLE = `lbt_ghost_${suffix}`;
const pgc = connectionParts();
const config = { host: pgc.host, port: pgc.port, database: DB, user: pgc.user };
const secrets = pgc.password ? { password: pgc.password } : {};
const target = { database: DB };

// Fields rather than a URL: the database's odd name would not survive URL parsing.
const connect = (database: string) => new pg.Client({ host: pgc.host, port: pgc.port, user: pgc.user, password: pgc.password, database });

async function withDb<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = connect(database);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  return withDb('postgres', async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

const SEED_SQL = `
  CREATE EXTENSION pgcrypto;
  CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, secret bytea);
  CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(12,2), doc jsonb);
  INSERT INTO customers (name, email, secret)
    SELECT 'customer ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'c' || g || '@example.com' END, digest(g::text, 'sha256')
    FROM generate_series(1, 3000) g;
  INSERT INTO orders (customer_id, total, doc)
    SELECT 1 + (g % 3000), round((g * 1.37)::numeric, 2), jsonb_build_object('n', g) FROM generate_series(1, 20000) g;
  CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000;
  CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.orders';
  CREATE SCHEMA billing;
  CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id bigint REFERENCES public.orders(id), amount numeric);
  INSERT INTO billing.invoices SELECT g, g, g * 2 FROM generate_series(1, 500) g;
  CREATE SEQUENCE billing.invoice_no START 1000;
  SELECT nextval('billing.invoice_no'), nextval('billing.invoice_no');
  SELECT lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
  COMMENT ON TABLE customers IS 'as backed up';
`;

/** Everything a restore must bring back, in comparable form: per table an ordered hash of its rows, and the rest. */
async function fingerprint(database: string): Promise<Record<string, string>> {
  return withDb(database, async (c) => {
    const out: Record<string, string> = {};
    const tables = await c.query<{ s: string; t: string }>(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    out.tables = tables.rows.map((r) => `${r.s}.${r.t}`).join(',');
    for (const { s, t } of tables.rows) {
      const r = await c.query<{ h: string; n: string }>(
        `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*)::text AS n FROM ${c.escapeIdentifier(s)}.${c.escapeIdentifier(t)} x`,
      );
      out[`table ${s}.${t}`] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
    }
    const one = async (key: string, sql: string) => {
      out[key] = String((await c.query<{ v: unknown }>(sql)).rows[0]?.v ?? '');
    };
    await one('schemas', `SELECT string_agg(nspname, ',' ORDER BY nspname) AS v FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`);
    await one('views', `SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY 1) AS v FROM information_schema.views WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
    await one(
      'own functions',
      `SELECT string_agg(n.nspname || '.' || p.proname || ':' || md5(p.prosrc), ',' ORDER BY 1) AS v FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
    );
    await one('extensions', `SELECT string_agg(extname, ',' ORDER BY extname) AS v FROM pg_extension`);
    await one('large objects', `SELECT string_agg(md5(lo_get(oid)), ',' ORDER BY 1) AS v FROM pg_largeobject_metadata`);
    await one('sequence', `SELECT last_value::text AS v FROM billing.invoice_no`).catch(() => (out.sequence = 'missing'));
    await one('comment', `SELECT obj_description('public.customers'::regclass, 'pg_class') AS v`).catch(() => (out.comment = 'missing'));
    await one('public schema', `SELECT nspowner::regrole::text || ' ' || coalesce(nspacl::text, 'default') AS v FROM pg_namespace WHERE nspname = 'public'`);
    return out;
  });
}

/** Changes of every kind since the backup: rows added, removed and changed, a table dropped, new tables, schema, LO. */
const DRIFT_SQL = `
  DROP TABLE billing.invoices;
  INSERT INTO customers (name) SELECT 'new ' || g FROM generate_series(1, 50) g;
  DELETE FROM orders WHERE id % 10 = 0;
  UPDATE customers SET email = 'changed@example.com' WHERE id < 100;
  CREATE TABLE added_since (id int PRIMARY KEY, customer_id int REFERENCES customers(id));
  INSERT INTO added_since VALUES (1, 1);
  CREATE SCHEMA scratch;
  CREATE TABLE scratch.notes (v text);
  DROP VIEW big_orders;
  SELECT lo_from_bytea(0, '\\x00ff'::bytea);
  SELECT setval('billing.invoice_no', 5000);
  COMMENT ON TABLE customers IS 'changed';
`;

let artifact: Buffer;
let atBackup: Record<string, string>;

beforeAll(async () => {
  await withDb('postgres', (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(DB)}`));
  await withDb(DB, (c) => c.query(SEED_SQL));
  atBackup = await fingerprint(DB);
  const { stream, done } = engine.backup(config, secrets);
  [artifact] = await Promise.all([buffer(stream), done]);
});

afterAll(async () => {
  for (const name of [DB, MISSING_DB]) {
    await withDb('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`)).catch(() => undefined);
  }
  await withDb('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(GHOST_ROLE)}`)).catch(() => undefined);
});

/** `restoreFrom`'s source for a buffer: writes it into pg_restore's stdin, then gives `verdict`'s answer. */
function bufferSource(bytes: Buffer, verdict: () => Promise<void> = async () => undefined): EngineRestoreSource {
  return {
    connect: async (stdin) => {
      await pipeline(Readable.from([bytes]), stdin);
      await verdict();
      return { bytes: bytes.length };
    },
  };
}

async function drift(): Promise<Record<string, string>> {
  await withDb(DB, (c) => c.query(DRIFT_SQL));
  const changed = await fingerprint(DB);
  expect(changed).not.toEqual(atBackup);
  return changed;
}

describe('postgres in-place restore (integration)', () => {
  it('declares the destructive mode with the target database as the name to type', () => {
    const mode = postgresDefinition.restoreModes.find((m) => m.mode === 'in-place');
    expect(mode).toMatchObject({ destructive: true });
    expect(postgresDefinition.restoreModes[0]).toMatchObject({ mode: 'new', destructive: false });
    expect(mode!.confirmationName!(config, target)).toBe(DB);
    expect(mode!.confirmationName!(config, { database: 'orders', noPrivileges: true })).toBe('orders');
    expect(mode!.replaces!({ ...config, port: 5433 }, { database: 'orders' })).toBe(`database orders on ${pgc.host}:5433, its current contents`);
  });

  it('brings a database that changed since the backup back to exactly the backup (stream and direct path)', async () => {
    await drift();
    // An idle session of the application: it is not terminated, and sees the restored contents afterwards.
    const app = connect(DB);
    await app.connect();
    try {
      const result = await engine.restore(config, secrets, Readable.from([artifact]), target, { mode: 'in-place' });
      expect(result).toMatchObject({ bytes: artifact.length, target: DB });
      expect(await fingerprint(DB)).toEqual(atBackup);
      expect((await app.query<{ n: string }>('SELECT count(*)::text AS n FROM billing.invoices')).rows[0]!.n).toBe('500');
    } finally {
      await app.end();
    }

    await drift();
    const direct = await engine.restoreFrom!(config, secrets, target, bufferSource(artifact), { mode: 'in-place' });
    expect(direct).toMatchObject({ bytes: artifact.length, target: DB });
    expect(await fingerprint(DB)).toEqual(atBackup);
  });

  it('leaves the database exactly as it was when the restore fails half-way, at its end, or after pg_restore read it all', async () => {
    const before = await drift();
    const expectUnchanged = async () => {
      expect(await databaseExists(DB)).toBe(true);
      expect(await fingerprint(DB)).toEqual(before);
    };

    // Truncated half-way: pg_restore fails mid-stream, after psql has dropped and recreated much of it.
    const truncated = artifact.subarray(0, Math.floor(artifact.length * 0.6));
    const cut = engine.restore(config, secrets, Readable.from([truncated]), target, { mode: 'in-place' });
    await expect(cut).rejects.toThrow(/pg_restore failed: .*left as it was \(nothing was committed\)/);
    await expectUnchanged();

    // Corrupted in the middle (the compressed table data of pg_dump's own zlib), on the direct path.
    const corrupted = Buffer.from(artifact);
    for (let i = Math.floor(corrupted.length * 0.5); i < Math.floor(corrupted.length * 0.5) + 4096; i += 1) corrupted[i] = corrupted[i]! ^ 0x5a;
    await expect(engine.restoreFrom!(config, secrets, target, bufferSource(corrupted), { mode: 'in-place' })).rejects.toThrow(/left as it was/);
    await expectUnchanged();

    // A whole, valid archive whose bytes are judged bad only after pg_restore read them all (a sha256 mismatch at
    // the end of the stored object), late enough that pg_restore and psql are long done with the script: the one
    // case where `pg_restore --single-transaction -d` would already have committed.
    const lateVerdict = bufferSource(artifact, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      throw new Error('stored object sha256 mismatch');
    });
    await expect(engine.restoreFrom!(config, secrets, target, lateVerdict, { mode: 'in-place' })).rejects.toThrow(/sha256 mismatch/);
    await expectUnchanged();

    // Cancelled mid-way.
    const controller = new AbortController();
    const slow = new Readable({
      read() {
        /* fed by hand below */
      },
    });
    const cancelled = engine.restore(config, secrets, slow, target, { mode: 'in-place', signal: controller.signal });
    slow.push(artifact.subarray(0, Math.floor(artifact.length / 2)));
    setTimeout(() => controller.abort(), 300);
    await expect(cancelled).rejects.toSatisfy((err) => isEngineError(err, 'CANCELLED'));
    await expectUnchanged();
  });

  it('rolls back a restore whose last statements fail, and succeeds without privileges', async () => {
    // From the backup's state (the test before left the database changed).
    await engine.restore(config, secrets, Readable.from([artifact]), target, { mode: 'in-place' });
    expect(await fingerprint(DB)).toEqual(atBackup);
    // Privileges are restored last, after all the data: a GRANT to a role dropped since the backup fails there.
    await withDb('postgres', (c) => c.query(`CREATE ROLE ${c.escapeIdentifier(GHOST_ROLE)}`));
    await withDb(DB, (c) => c.query(`GRANT SELECT ON customers TO ${c.escapeIdentifier(GHOST_ROLE)}`));
    const { stream, done } = engine.backup(config, secrets);
    const [withGrant] = await Promise.all([buffer(stream), done]);
    await withDb(DB, (c) => c.query(`REVOKE SELECT ON customers FROM ${c.escapeIdentifier(GHOST_ROLE)}`));
    await withDb('postgres', (c) => c.query(`DROP ROLE ${c.escapeIdentifier(GHOST_ROLE)}`));
    const before = await drift();

    const failing = engine.restore(config, secrets, Readable.from([withGrant]), target, { mode: 'in-place' });
    await expect(failing).rejects.toThrow(new RegExp(`psql failed: .*role "${GHOST_ROLE}" does not exist.*left as it was`));
    expect(await fingerprint(DB)).toEqual(before);

    await engine.restore(config, secrets, Readable.from([withGrant]), { ...target, noPrivileges: true }, { mode: 'in-place' });
    expect(await fingerprint(DB)).toEqual(atBackup);
  });

  it('refuses a target that does not exist, before anything runs, and creates nothing', async () => {
    await expect(engine.checkRestoreTarget!(config, secrets, { database: MISSING_DB }, { mode: 'in-place' })).rejects.toSatisfy(
      (err) => isEngineError(err, 'INVALID_CONFIG') && /does not exist .*in-place restore replaces an existing database/.test(err.message),
    );
    await expect(engine.checkRestoreTarget!(config, secrets, target, { mode: 'in-place' })).resolves.toBeUndefined();
    // The default mode still refuses an existing database, and knows no other modes than its own.
    await expect(engine.checkRestoreTarget!(config, secrets, target)).rejects.toSatisfy((err) => isEngineError(err, 'TARGET_EXISTS'));
    await expect(engine.checkRestoreTarget!(config, secrets, target, { mode: 'over-it' })).rejects.toSatisfy((err) => isEngineError(err, 'INVALID_CONFIG'));

    let read = false;
    const input = new Readable({
      read() {
        read = true;
        this.push(artifact);
        this.push(null);
      },
    });
    await expect(engine.restore(config, secrets, input, { database: MISSING_DB }, { mode: 'in-place' })).rejects.toSatisfy((err) => isEngineError(err, 'INVALID_CONFIG'));
    expect(read).toBe(false);
    expect(input.destroyed).toBe(true);
    const connected: boolean[] = [];
    const source: EngineRestoreSource = { connect: async () => (connected.push(true), {}) };
    await expect(engine.restoreFrom!(config, secrets, { database: MISSING_DB }, source, { mode: 'in-place' })).rejects.toSatisfy((err) => isEngineError(err, 'INVALID_CONFIG'));
    expect(connected).toEqual([]);
    expect(await databaseExists(MISSING_DB)).toBe(false);
  });
});
