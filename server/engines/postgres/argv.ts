/**
 * Pure builders for the command lines and environments of the PostgreSQL client tools.
 *
 * Every user-supplied value (host, database, user, …) travels inside ONE argv element, `--dbname=<conninfo>`,
 * with each value single-quoted per libpq's conninfo rules. Attached with "=", it can never be read as an
 * option (a database named "-x" stays a name), and quoting means "my db; drop" or "a=b" stay names too —
 * a bare positional dbname containing "=" would be parsed as a connection string by libpq.
 * The password is never in argv: it goes to the child's environment (PGPASSWORD), which on Linux only
 * the same user and root can read; that environment holds nothing else of the worker's (server/process).
 */
import path from 'node:path';

import type { PostgresConfig, PostgresRestoreTarget, PostgresSecrets } from './config';

export type PostgresTool = 'pg_dump' | 'pg_dumpall' | 'pg_restore' | 'psql';

/** Shown in pg_stat_activity so a DBA can tell who is holding that snapshot. */
export const APPLICATION_NAME = 'lifeboat';
// Fail an unreachable host in seconds rather than the OS TCP timeout (minutes), so a run fails visibly.
export const CONNECT_TIMEOUT_SECONDS = 15;
// Long enough for a normal migration's lock to clear; short enough that a dump stuck behind an
// ACCESS EXCLUSIVE lock fails visibly instead of queueing everyone else's DDL behind itself.
export const LOCK_WAIT_TIMEOUT_MS = 120_000;

/** Quotes a conninfo value: single quotes, with `\` and `'` backslash-escaped (libpq's rule). */
export function quoteConninfoValue(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** A libpq keyword/value connection string for `config`, optionally for another database. Never has a password. */
export function buildConninfo(config: PostgresConfig, database: string = config.database): string {
  const pairs: [string, string][] = [
    ['host', config.host],
    ['port', String(config.port)],
    ['dbname', database],
    ['user', config.user],
    ['application_name', APPLICATION_NAME],
    ['connect_timeout', String(CONNECT_TIMEOUT_SECONDS)],
  ];
  if (config.sslmode !== undefined) pairs.push(['sslmode', config.sslmode]);
  return pairs.map(([key, value]) => `${key}=${quoteConninfoValue(value)}`).join(' ');
}

export interface PgDumpArgsOptions {
  compress?: boolean;
  /** The database to dump (default `config.database`): one of `config.databases`. */
  database?: string;
  /** An exported snapshot (`pg_export_snapshot()`) to dump in, so row counts taken in it match the archive. */
  snapshot?: string;
}

/**
 * `pg_dump` arguments: custom format (what pg_restore needs for selective, reordered restores) to stdout, with what
 * the config asks for: `--schema-only`/`--data-only`, and `--table`/`--exclude-table` patterns, each one argv element
 * with the pattern attached after "=" (a pattern starting with "-" is a value, never an option; no shell ever sees
 * it). `--strict-names` with `tables`: a pattern that matches nothing fails the dump instead of silently shrinking it.
 */
export function pgDumpArgs(config: PostgresConfig, opts: PgDumpArgsOptions = {}): string[] {
  const tables = config.tables ?? [];
  return [
    '--format=custom',
    // When the artifact pipeline compresses with zstd, pg_dump's own zlib pass would only burn CPU.
    ...(opts.compress === false ? ['--compress=0'] : []),
    // Never prompt: there is no terminal, and a prompt would hang the run.
    '--no-password',
    `--lock-wait-timeout=${LOCK_WAIT_TIMEOUT_MS}`,
    ...(config.schemaOnly === true ? ['--schema-only'] : []),
    ...(config.dataOnly === true ? ['--data-only'] : []),
    ...(tables.length > 0 ? ['--strict-names'] : []),
    ...tables.map((pattern) => `--table=${pattern}`),
    ...(config.excludeTables ?? []).map((pattern) => `--exclude-table=${pattern}`),
    ...(opts.snapshot === undefined ? [] : [`--snapshot=${opts.snapshot}`]),
    `--dbname=${buildConninfo(config, opts.database ?? config.database)}`,
  ];
}

/**
 * `pg_dumpall --globals-only` arguments: roles (with their memberships and settings) and tablespaces as SQL on stdout.
 * `--database` is where it connects (the conninfo's dbname is ignored by pg_dumpall). `noRolePasswords` when the role
 * may not read `pg_authid` (not a superuser): pg_dumpall then reads `pg_roles` and leaves the password hashes out.
 */
export function pgDumpallGlobalsArgs(config: PostgresConfig, opts: { noRolePasswords: boolean }): string[] {
  return [
    '--globals-only',
    '--no-password',
    ...(opts.noRolePasswords ? ['--no-role-passwords'] : []),
    `--database=${config.database}`,
    `--dbname=${buildConninfo(config)}`,
  ];
}

/**
 * `pg_restore` arguments: read the archive from stdin into the (already created) target database.
 * `--no-owner` because the restoring role rarely matches the source's owners; `--exit-on-error` so a
 * partial restore is reported as a failure instead of exit code 0 with warnings.
 */
export function pgRestoreArgs(config: PostgresConfig, target: PostgresRestoreTarget, opts: { useList?: string } = {}): string[] {
  return [
    '--no-owner',
    '--exit-on-error',
    '--no-password',
    ...(target.noPrivileges ? ['--no-privileges'] : []),
    // A restore of some tables: only the TOC entries the list file names (see restore-tables.ts).
    ...(opts.useList === undefined ? [] : [`--use-list=${opts.useList}`]),
    `--dbname=${buildConninfo(config, target.database)}`,
    // No file argument: pg_restore reads the archive from stdin.
  ];
}

/**
 * `pg_restore` arguments of an in-place restore: no connection, the archive (stdin) turned into an SQL script on stdout
 * for `psql` (`psqlRestoreArgs`). `--clean --if-exists` drops every object of the archive before recreating it;
 * `--single-transaction` puts the script between one BEGIN and one COMMIT (without it, large objects get their own
 * BEGIN/COMMIT, which would commit the restore half-way). `--no-owner` and `--no-privileges` as in `pgRestoreArgs`.
 */
export function pgRestoreScriptArgs(target: PostgresRestoreTarget): string[] {
  return [
    '--clean',
    '--if-exists',
    '--single-transaction',
    '--no-owner',
    '--exit-on-error',
    ...(target.noPrivileges ? ['--no-privileges'] : []),
    // To stdout; no file argument: the archive comes from stdin.
    '--file=-',
  ];
}

/**
 * `psql` arguments that run an in-place restore's script (stdin) in `target.database`: no ~/.psqlrc (it could change
 * anything), stop at the first error (so an error is never followed by a COMMIT), never prompt.
 */
export function psqlRestoreArgs(config: PostgresConfig, target: PostgresRestoreTarget): string[] {
  return ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', `--dbname=${buildConninfo(config, target.database)}`];
}

/**
 * `pg_restore --list` arguments: print the archive's table of contents, reading the archive from stdin. No
 * connection and no user-supplied value: it checks that the bytes are a readable pg_dump archive, nothing more.
 */
export function pgRestoreListArgs(opts: { dependencies?: boolean } = {}): string[] {
  // --verbose adds a "depends on: <ids>" line under each entry, which a restore of some tables needs.
  return ['--list', ...(opts.dependencies === true ? ['--verbose'] : [])];
}

/** `pg_dump --version` / `pg_restore --version`. */
export function versionArgs(): string[] {
  return ['--version'];
}

/**
 * What a tool is given on purpose through its environment: the source's password, if there is one. The process
 * helper adds only PATH, locale and HOME/TMPDIR/TZ, so the worker's own PGHOST, PGOPTIONS, PGSERVICE or PGPASSWORD
 * can never redirect or alter a backup: the source's config is the only input.
 */
export function toolEnv(secrets: PostgresSecrets): Record<string, string> {
  return secrets.password === undefined ? {} : { PGPASSWORD: secrets.password };
}

/** The executable to run: from `binDir` when given (to pick a pg_dump matching the server's major), else PATH. */
export function toolCommand(tool: PostgresTool, binDir?: string): string {
  return binDir === undefined ? tool : path.join(binDir, tool);
}
