/**
 * Per-table row counts recorded with a dump (its result's `details.tables`), so that a restore can be checked against
 * what was backed up. Taken in the session that exported the dump's snapshot (dump-session.ts), so they count the very
 * rows the archive holds: exact `count(*)` for tables below `EXACT_COUNT_MAX_BYTES`, the planner's estimate
 * (`reltuples`, as of the last VACUUM/ANALYZE) above it, marked `exact: false`.
 */
import type pg from 'pg';

import type { PostgresConfig } from './config';
import { tablePatternCondition } from './table-patterns';

/**
 * Tables up to this main-fork size (`pg_relation_size`) are counted exactly: a sequential scan of 64 MiB takes well
 * under a second from cache and a few from disk, competing little with the dump that reads the same pages anyway.
 * Bigger ones get the planner's estimate, which costs nothing.
 */
export const EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024;
// Details are stored in the catalog and the manifest: beyond this many tables only their number is kept.
export const MAX_COUNTED_TABLES = 1000;
// Once the dump has finished, counting may go on this long (then the remaining tables get estimates): the run
// should not wait minutes for a nicety.
export const COUNT_GRACE_MS = 30_000;

export interface TableRowCount {
  schema: string;
  name: string;
  /** Rows in the table; null when only an estimate was possible and the table was never analyzed. */
  rows: number | null;
  /** True for `count(*)` in the dump's snapshot, false for the planner's estimate. */
  exact: boolean;
}

export interface RowCountDetails {
  tables: TableRowCount[];
  rowCounts: {
    /** True when the counts were taken in the snapshot pg_dump dumped (`--snapshot`); false: just before/while it ran. */
    sameSnapshot: boolean;
    /** `EXACT_COUNT_MAX_BYTES` (or the test's override): the size below which counts are exact. */
    exactBelowBytes: number;
    /** Tables dumped but not listed (beyond `MAX_COUNTED_TABLES`). */
    omittedTables?: number;
  };
}

export interface CountOptions {
  exactMaxBytes: number;
  /** Whether the session's transaction is the dump's snapshot. */
  sameSnapshot: boolean;
  /** Checked before each exact count: once true, the remaining tables get estimates. */
  stopExact: () => boolean;
}

interface ListedTable {
  oid: string;
  schema: string;
  name: string;
  reltuples: number;
  readable: boolean;
  total: string;
}

/**
 * Lists the tables the dump holds (pg_dump's own selection: ordinary tables outside system schemas, not belonging to an
 * extension, matching `tables` and not `excludeTables`) and counts their rows in `client`'s open transaction. The list
 * takes no lock; each table's size and count run in a savepoint, so a failure (a lock that does not come within the
 * session's lock_timeout, a statement timeout) costs that table its exact count and never the transaction, whose
 * snapshot pg_dump may still be importing. Resolves undefined if the list itself fails.
 */
export async function countRows(client: pg.Client, config: PostgresConfig, serverNum: number, options: CountOptions): Promise<RowCountDetails | undefined> {
  const include = tablePatternCondition(config.tables ?? [], 1, serverNum);
  const exclude = tablePatternCondition(config.excludeTables ?? [], 1 + include.params.length, serverNum);
  const sql = `
    SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples,
           pg_catalog.has_table_privilege(c.oid, 'SELECT') AS readable, (count(*) OVER ())::text AS total
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND c.relpersistence <> 't'
      AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
      ${config.tables === undefined ? '' : `AND ${include.sql}`}
      ${config.excludeTables === undefined ? '' : `AND NOT ${exclude.sql}`}
    ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
    LIMIT ${MAX_COUNTED_TABLES}`;
  const listed = await inSavepoint(client, () => client.query<ListedTable>(sql, [...include.params, ...exclude.params]));
  if (listed === undefined) return undefined;

  const tables: TableRowCount[] = [];
  for (const row of listed.rows) {
    const estimate = row.reltuples < 0 ? null : Math.round(row.reltuples);
    if (row.readable && !options.stopExact()) {
      // pg_relation_size takes the table's ACCESS SHARE lock, as count(*) does: both wait behind a migration alike.
      const counted = await inSavepoint(client, async () => {
        const size = await client.query<{ bytes: string }>('SELECT pg_catalog.pg_relation_size($1::pg_catalog.oid::pg_catalog.regclass)::text AS bytes', [row.oid]);
        if (Number(size.rows[0]?.bytes) >= options.exactMaxBytes) return undefined;
        const count = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${client.escapeIdentifier(row.schema)}.${client.escapeIdentifier(row.name)}`);
        return count.rows[0]?.n;
      });
      if (counted !== undefined) {
        tables.push({ schema: row.schema, name: row.name, rows: Number(counted), exact: true });
        continue;
      }
    }
    tables.push({ schema: row.schema, name: row.name, rows: estimate, exact: false });
  }
  const total = Number(listed.rows[0]?.total ?? 0);
  return {
    tables,
    rowCounts: {
      sameSnapshot: options.sameSnapshot,
      exactBelowBytes: options.exactMaxBytes,
      ...(total > tables.length && { omittedTables: total - tables.length }),
    },
  };
}

/** Runs `fn` in a savepoint; undefined (and the savepoint rolled back) if it fails. */
async function inSavepoint<T>(client: pg.Client, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    await client.query('SAVEPOINT lifeboat_count');
  } catch {
    return undefined;
  }
  try {
    const result = await fn();
    await client.query('RELEASE SAVEPOINT lifeboat_count');
    return result;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT lifeboat_count').catch(() => undefined);
    return undefined;
  }
}
