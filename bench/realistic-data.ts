/**
 * The benchmark's data sets, created once per size and reused by later runs (the name carries size and version).
 *
 * realistic: what a real application database looks like to a backup (the measurement used JSON, text and
 * random bytea): roughly 40% jsonb documents, 30% text paragraphs and 30% random bytea, by raw dump size. Generated
 * server-side with SQL so that a gigabyte takes seconds, and seeded (`setseed`, `sha256` of the row number) so that
 * every machine benches the same bytes. Random bytea is dumped as hex, so it compresses about 2:1; overall zstd -3
 * stores ~35-40% of the raw dump, like the 761 MB → 279 MB.
 *
 * pgbench: `pgbench -i -s N`, whose filler columns are blank: it compresses ~100:1 and hides every cost after zstd.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';

export interface PgConn {
  host: string;
  port: number;
  user: string;
}

export async function sql(conn: PgConn, database: string, text: string) {
  const c = new pg.Client({ ...conn, database });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

async function exists(conn: PgConn, db: string): Promise<boolean> {
  return ((await sql(conn, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${db}'`)).rowCount ?? 0) > 0;
}

// Bump when the generator changes, so an old database of the same size is not mistaken for the new data.
const REALISTIC_VERSION = 1;
// Shares of the raw dump per kind (they add up to 1).
const JSON_SHARE = 0.4;
const TEXT_SHARE = 0.3;
const BYTEA_SHARE = 0.3;
// Sizes per row, in dump bytes: a typical API document, a few paragraphs, a small attachment (4 KiB, 8 KiB of hex).
const JSON_ROW_BYTES = 900;
const TEXT_ROW_BYTES = 2_000;
const BYTEA_ROW_RAW_BYTES = 4_096;
// sha256 yields 32 bytes; a bytea row is this many digests.
const DIGESTS_PER_BYTEA_ROW = BYTEA_ROW_RAW_BYTES / 32;

const WORDS = (
  'the of and to in is that for it as with was on be by at this are from or have an they which one you were her all ' +
  'she there would their we him been has when who will more no if out so said what up its about into than them can ' +
  'only other new some could time these two may then do first any my now such like our over man me even most made ' +
  'after also did many before must through back years where much your way well down should because each just those ' +
  'people how too little state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might us great old year off come since against go came right used take three ' +
  'invoice customer order payment shipment account balance refund warehouse supplier contract delivery schedule report ' +
  'database backup restore replica cluster index query transaction migration schema column table constraint trigger'
)
  .split(' ')
  .map((w) => `'${w}'`);
const WORD_COUNT = WORDS.length;

/** Creates (once) a realistic database of about `rawMb` MiB of dump and returns its name. */
export async function ensureRealisticDatabase(conn: PgConn, rawMb: number): Promise<string> {
  const db = `lifeboat_bench_real_${rawMb}mb_v${REALISTIC_VERSION}`;
  if (await exists(conn, db)) return db;
  // The row sizes above are estimates; measured, the dump came out at 86% of them (per-row COPY overhead is small,
  // the words shorter than guessed), so the row counts are scaled up to land near the requested size.
  const total = rawMb * 1024 * 1024 * 1.16;
  const jsonRows = Math.max(1, Math.round((total * JSON_SHARE) / JSON_ROW_BYTES));
  const textRows = Math.max(1, Math.round((total * TEXT_SHARE) / TEXT_ROW_BYTES));
  const byteaRows = Math.max(1, Math.round((total * BYTEA_SHARE) / (2 * BYTEA_ROW_RAW_BYTES)));
  console.log(`creating ${db} (~${rawMb} MB raw dump: ${jsonRows} jsonb, ${textRows} text, ${byteaRows} bytea rows; once, reused later)…`);
  const started = Date.now();
  const building = `${db}_building`;
  await sql(conn, 'postgres', `DROP DATABASE IF EXISTS ${building}`);
  await sql(conn, 'postgres', `CREATE DATABASE ${building}`);
  // One session, no parallel workers: random() after setseed() is then the same sequence on every machine.
  await sql(
    conn,
    building,
    `SET max_parallel_workers_per_gather = 0;
     SELECT setseed(0.42);
     CREATE TABLE documents (id bigint PRIMARY KEY, doc jsonb NOT NULL);
     CREATE TABLE notes (id bigint PRIMARY KEY, title text NOT NULL, body text NOT NULL);
     CREATE TABLE attachments (id bigint PRIMARY KEY, name text NOT NULL, content bytea NOT NULL);
     -- Subqueries name their own copy of the words (iw): an aggregate over only outer columns would be evaluated
     -- once for the outer query instead of once per row.
     CREATE TEMP TABLE words AS SELECT array[${WORDS.join(',')}] AS w;
     INSERT INTO documents
       SELECT g, jsonb_build_object(
         'id', g,
         'customer', jsonb_build_object('name', w[1 + (random() * ${WORD_COUNT - 1})::int] || ' ' || w[1 + (random() * ${WORD_COUNT - 1})::int],
                                        'email', 'user' || (random() * 1e6)::int || '@example.com',
                                        'address', jsonb_build_object('street', (random() * 999)::int || ' ' || w[1 + (random() * ${WORD_COUNT - 1})::int] || ' street',
                                                                      'zip', lpad(((random() * 99999)::int)::text, 5, '0'), 'country', w[1 + (random() * 20)::int])),
         'status', (array['new','paid','shipped','returned','cancelled'])[1 + (random() * 4)::int],
         'total', round((random() * 10000)::numeric, 2),
         'created_at', timestamptz '2024-01-01' + random() * interval '700 days',
         'tags', jsonb_build_array(w[1 + (random() * ${WORD_COUNT - 1})::int], w[1 + (random() * ${WORD_COUNT - 1})::int], w[1 + (random() * ${WORD_COUNT - 1})::int]),
         'lines', (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || (random() * 99999)::int, 'qty', 1 + (random() * 9)::int,
                                                      'price', round((random() * 500)::numeric, 2), 'note', iw.w[1 + (random() * ${WORD_COUNT - 1})::int]))
                   FROM generate_series(1, 3 + (g % 4)), words iw))
       FROM generate_series(1, ${jsonRows}) g, words;
     INSERT INTO notes
       SELECT g, w[1 + (random() * ${WORD_COUNT - 1})::int] || ' ' || w[1 + (random() * ${WORD_COUNT - 1})::int],
              (SELECT string_agg(iw.w[1 + (random() * ${WORD_COUNT - 1})::int], ' ') FROM generate_series(1, 360 + (g % 2)), words iw)
       FROM generate_series(1, ${textRows}) g, words;
     INSERT INTO attachments
       SELECT g, 'file-' || g || '.bin',
              (SELECT string_agg(sha256(int8send(g * ${DIGESTS_PER_BYTEA_ROW} + i)), ''::bytea) FROM generate_series(1, ${DIGESTS_PER_BYTEA_ROW}) i)
       FROM generate_series(1, ${byteaRows}) g;
     CREATE INDEX ON documents ((doc->>'status'));`,
  );
  await sql(conn, 'postgres', `ALTER DATABASE ${building} RENAME TO ${db}`);
  console.log(`created ${db} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return db;
}

/** Creates (once) the pgbench database of `scale` and returns its name. */
export async function ensurePgbenchDatabase(conn: PgConn, scale: number): Promise<string> {
  const db = `lifeboat_bench_s${scale}`;
  if (await exists(conn, db)) return db;
  console.log(`creating ${db} with pgbench -i -s ${scale} (once; reused by later runs)…`);
  await sql(conn, 'postgres', `CREATE DATABASE ${db}`);
  execFileSync('pgbench', ['-i', '-q', '-s', String(scale), '-h', conn.host, '-p', String(conn.port), '-U', conn.user, db], { stdio: 'inherit' });
  return db;
}
