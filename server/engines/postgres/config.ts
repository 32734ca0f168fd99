import { z } from 'zod';

// Postgres identifiers (database and role names) are at most NAMEDATALEN-1 = 63 bytes; longer names are
// silently truncated by the server, which would make us create one database and connect to another.
const MAX_IDENTIFIER_BYTES = 63;
// DNS names are at most 253 characters; a unix-socket directory path fits comfortably too.
const MAX_HOST_LENGTH = 255;
// Far above any sane password, low enough that a pasted file is refused instead of stored.
const MAX_PASSWORD_LENGTH = 1024;

// libpq passes connection values as C strings: a NUL would silently cut the value short.
const noNul = (value: string) => !value.includes('\u0000');

const identifier = (what: string) =>
  z
    .string()
    .min(1, `${what} is required`)
    .refine(noNul, `${what} must not contain NUL`)
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_IDENTIFIER_BYTES, `${what} must be at most ${MAX_IDENTIFIER_BYTES} bytes`);

/** libpq's sslmode values; omitted means libpq's default (`prefer`). */
export const PostgresSslMode = z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);
export type PostgresSslMode = z.infer<typeof PostgresSslMode>;

// C0 controls and DEL: legal in a quoted identifier, but a name nobody can type, read in a log or pass safely.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
// A cluster with more databases than this is better split into several sources (one run per point stays readable).
const MAX_DATABASES = 500;
// Table patterns: plenty for a list of critical tables; a longer list is better written as a pattern (`audit_*`).
const MAX_TABLE_PATTERNS = 200;
// A schema-qualified, double-quoted pair of 63-byte names with doubled quotes fits easily.
const MAX_TABLE_PATTERN_LENGTH = 300;

/**
 * The dashboard's text inputs send lists as one string: `a, b` (commas or new lines between items) becomes
 * `["a", "b"]`; `*` stays `*` where `allowAll`. Arrays (the API's shape) are taken as they are, item for item.
 */
const listInput = (allowAll: boolean) => (value: unknown) => {
  if (typeof value !== 'string') return value;
  if (allowAll && value.trim() === '*') return '*';
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
};

const unique = (items: readonly string[]) => new Set(items).size === items.length;

/**
 * A pg_dump `-t`/`-T` pattern, passed to pg_dump as one argv element (`--table=<pattern>`), never through a shell.
 * pg_dump's rules apply: unquoted letters are folded to lower case, `*` and `?` are wildcards, `.` separates the
 * schema, and a part in double quotes is taken literally (`"Weird Table; drop"`).
 */
const tablePattern = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(MAX_TABLE_PATTERN_LENGTH, `${what} must be at most ${MAX_TABLE_PATTERN_LENGTH} characters`)
    .refine((v) => !CONTROL_CHARACTER.test(v), `${what} must not contain control characters`);

const tablePatterns = (what: string) =>
  z.preprocess(
    listInput(false),
    z
      .array(tablePattern(what), { error: `${what}s must be a list of table patterns` })
      .min(1, `${what}s must name at least one table (leave it out to dump every table)`)
      .max(MAX_TABLE_PATTERNS, `at most ${MAX_TABLE_PATTERNS} ${what}s`)
      .refine(unique, `${what}s must not repeat a pattern`),
  );

/** Where a `databases: "*"` source without `database` connects: the database every cluster has (as pg_dumpall). */
const MAINTENANCE_DATABASE = 'postgres';

/**
 * Non-secret connection settings of a PostgreSQL source, and what a backup of it captures.
 *
 * Without `databases` and `globals` a backup is one `pg_dump -Fc` archive of `database` (one object, role `data`).
 * With either, it is several objects (`backupObjects`): one archive per database of `databases` (`*`: every database
 * of the server that is not a template and accepts connections), plus `globals` (roles and tablespaces,
 * `pg_dumpall --globals-only`); `database` is then where Lifeboat connects to list databases and check versions.
 */
export const PostgresConfig = z
  .object({
    /** Host name, IP address, or a unix-socket directory (starting with "/"). */
    host: z.string().min(1, 'host is required').max(MAX_HOST_LENGTH).refine(noNul, 'host must not contain NUL'),
    // Numeric strings are accepted: forms and hand-written JSON often send "5432".
    port: z.preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v),
      z.number({ message: 'port must be a number from 1 to 65535' }).int().min(1).max(65535),
    ).default(5432),
    /**
     * The database to back up; with `databases`, where Lifeboat connects to list databases and check versions. It
     * may be left out with `databases`: then the first named database (`*`: `postgres`, as `pg_dumpall` does).
     */
    database: identifier('database').optional(),
    user: identifier('user'),
    sslmode: PostgresSslMode.optional(),
    /** Several databases, one archive each: a list of names, or `*` for every database that is not a template. */
    databases: z
      .preprocess(
        listInput(true),
        z.union(
          [
            z.literal('*'),
            z
              .array(identifier('each of databases'))
              .min(1, 'databases must name at least one database (or be "*"; leave it out to back up only database)')
              .max(MAX_DATABASES, `databases may name at most ${MAX_DATABASES} databases`)
              .refine(unique, 'databases must not name a database twice'),
          ],
          { error: 'databases must be "*" or a list of database names' },
        ),
      )
      .optional(),
    /** Also capture roles and tablespaces (`pg_dumpall --globals-only`), as their own object `globals`. */
    globals: z.boolean({ error: 'globals must be true or false' }).optional(),
    /** Table definitions only, no rows (`pg_dump --schema-only`). */
    schemaOnly: z.boolean({ error: 'schemaOnly must be true or false' }).optional(),
    /** Rows only, no definitions (`pg_dump --data-only`); restored by hand into a database that has the schema. */
    dataOnly: z.boolean({ error: 'dataOnly must be true or false' }).optional(),
    /** Only the tables matching these pg_dump patterns (`--table`, with `--strict-names`: each must match). */
    tables: tablePatterns('table pattern').optional(),
    /** Never the tables matching these pg_dump patterns (`--exclude-table`). */
    excludeTables: tablePatterns('excluded table pattern').optional(),
  })
  .strict()
  .refine((c) => !(c.schemaOnly === true && c.dataOnly === true), {
    message: 'schemaOnly and dataOnly cannot both be set: a schema-only backup holds no rows and a data-only one no table definitions; leave both off for a full backup',
    path: ['dataOnly'],
  })
  .refine((c) => c.database !== undefined || c.databases !== undefined, {
    message: 'database is required (or databases: a list of names or "*")',
    path: ['database'],
  })
  .transform((c) => ({ ...c, database: c.database ?? (Array.isArray(c.databases) ? c.databases[0]! : MAINTENANCE_DATABASE) }));
export type PostgresConfig = z.output<typeof PostgresConfig>;

/** Whether a backup of `config` is several objects (`backupObjects`) rather than one archive of `database`. */
export function isMultiObject(config: Pick<PostgresConfig, 'databases' | 'globals'>): boolean {
  return config.databases !== undefined || config.globals === true;
}

/** What a dump holds, as recorded in an object's details: `full`, `schema-only` or `data-only`. */
export type DumpContents = 'full' | 'schema-only' | 'data-only';

export function dumpContents(config: Pick<PostgresConfig, 'schemaOnly' | 'dataOnly'>): DumpContents {
  if (config.schemaOnly === true) return 'schema-only';
  if (config.dataOnly === true) return 'data-only';
  return 'full';
}

/** Credentials of a PostgreSQL source. No password means trust/peer/cert auth or the worker's ~/.pgpass. */
export const PostgresSecrets = z
  .object({
    password: z.string().max(MAX_PASSWORD_LENGTH).refine(noNul, 'password must not contain NUL').optional(),
  })
  .strict();
export type PostgresSecrets = z.infer<typeof PostgresSecrets>;

// Databases every cluster has and a restore must never be aimed at: `postgres` is where tools and
// Lifeboat connect by default, template0/template1 are what every CREATE DATABASE copies.
export const RESERVED_DATABASES: readonly string[] = ['postgres', 'template0', 'template1'];
// Tables named in one restore: a longer list is a whole-database restore.
const MAX_RESTORE_TABLES = 200;

/**
 * Where a restore goes, on the server given by the config. One shape for every restore mode: in `new` (the default)
 * the restore creates `database` and fails if it already exists; in `in-place` `database` must exist and its
 * contents are replaced. The name is required in both: a destructive restore's typed confirmation is this name, so
 * it is never implied.
 */
export const PostgresRestoreTarget = z
  .object({
    database: identifier('target database')
      .refine((v) => !CONTROL_CHARACTER.test(v), 'target database must not contain control characters')
      .refine((v) => !RESERVED_DATABASES.includes(v), `target database must not be one of ${RESERVED_DATABASES.join(', ')}`),
    /**
     * Skip GRANT/REVOKE. Needed when restoring onto a server that lacks the source's roles, since
     * `--exit-on-error` would otherwise stop at the first GRANT to a missing role.
     */
    noPrivileges: z.boolean().default(false),
    /**
     * Which database of a point that holds several (`databases` backups): its name as backed up. Required when the
     * point holds more than one; optional (and checked) when it holds one.
     */
    from: identifier('from').optional(),
    /**
     * Restore only these tables (with their indexes, constraints, defaults, triggers, sequences and what they need),
     * each `name` or `schema.name` exactly as in the database (no patterns). Mode `new` only.
     */
    tables: z
      .preprocess(
        listInput(false),
        z
          .array(
            z
              .string()
              .min(1, 'each of tables must not be empty')
              .max(2 * MAX_IDENTIFIER_BYTES + 1, `each of tables must be at most ${2 * MAX_IDENTIFIER_BYTES + 1} characters`)
              .refine((v) => !CONTROL_CHARACTER.test(v), 'each of tables must not contain control characters'),
            { error: 'tables must be a list of table names' },
          )
          .min(1, 'tables must name at least one table (leave it out to restore every table)')
          .max(MAX_RESTORE_TABLES, `tables may name at most ${MAX_RESTORE_TABLES} tables`)
          .refine(unique, 'tables must not name a table twice'),
      )
      .optional(),
  })
  .strict();
export type PostgresRestoreTarget = z.infer<typeof PostgresRestoreTarget>;

/** The restore modes (see the definition's `restoreModes`): `new` creates the target, `in-place` replaces an existing one. */
export const PostgresRestoreMode = z.enum(['new', 'in-place']);
export type PostgresRestoreMode = z.infer<typeof PostgresRestoreMode>;

/** `host:port`, or the socket directory and port, as every message about the source's server names it. */
export function describeServer(config: Pick<PostgresConfig, 'host' | 'port'>): string {
  return config.host.startsWith('/') ? `socket ${config.host} port ${config.port}` : `${config.host}:${config.port}`;
}
