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

/** Non-secret connection settings of a PostgreSQL source. */
export const PostgresConfig = z
  .object({
    /** Host name, IP address, or a unix-socket directory (starting with "/"). */
    host: z.string().min(1, 'host is required').max(MAX_HOST_LENGTH).refine(noNul, 'host must not contain NUL'),
    // Numeric strings are accepted: forms and hand-written JSON often send "5432".
    port: z.preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v),
      z.number({ message: 'port must be a number from 1 to 65535' }).int().min(1).max(65535),
    ).default(5432),
    database: identifier('database'),
    user: identifier('user'),
    sslmode: PostgresSslMode.optional(),
  })
  .strict();
export type PostgresConfig = z.infer<typeof PostgresConfig>;

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
// C0 controls and DEL: legal in a quoted identifier, but a name nobody can type, read in a log or pass safely.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

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
