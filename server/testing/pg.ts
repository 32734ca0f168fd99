import crypto from 'node:crypto';
import pg from 'pg';

/** Test helpers around the real PostgreSQL server named by DATABASE_URL. */

function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run integration tests through `npm test` (or eval "$(node scripts/services.mjs env --test)")');
  return url;
}

export function serverUrl(database: string): string {
  const url = new URL(requireDatabaseUrl());
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function connectionParts() {
  const url = new URL(requireDatabaseUrl());
  return {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

export const uniqueName = (prefix: string): string => `${prefix}_${crypto.randomBytes(4).toString('hex')}`;

export async function withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(name: string, setupSql?: string): Promise<void> {
  await withClient('postgres', (c) => c.query(`CREATE DATABASE "${name}"`));
  if (setupSql) await withClient(name, (c) => c.query(setupSql));
}

export async function dropDatabase(name: string): Promise<void> {
  await withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Ordered content hash of every table in the public schema: equal maps mean equal data. */
export async function tableHashes(database: string): Promise<Record<string, string>> {
  return withClient(database, async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { t } of tables.rows) {
      const r = await c.query<{ h: string | null; n: string }>(
        `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*)::text AS n FROM "${t}" x`,
      );
      out[t] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
    }
    return out;
  });
}

/** A database with the kinds of data a dump must carry faithfully: bytea, json/jsonb, NULLs, timestamps, thousands of rows. */
export const SAMPLE_SCHEMA_SQL = `
  CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(12,2), doc jsonb, raw json, blob bytea);
  INSERT INTO customers (name, email, created_at)
    SELECT 'customer ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'c' || g || '@example.com' END, timestamptz '2024-01-01' + g * interval '1 minute'
    FROM generate_series(1, 3000) g;
  INSERT INTO orders (customer_id, total, doc, raw, blob)
    SELECT 1 + (g % 3000), round((g * 1.37)::numeric, 2), jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 5)),
           json_build_object('k', g)::json, decode(md5(g::text) || md5((g * 31)::text), 'hex')
    FROM generate_series(1, 5000) g;
`;
