import { describe, expect, it } from 'vitest';

import { isEngineError } from '../engine';
import { buildConninfo, pgDumpallGlobalsArgs, pgDumpArgs, pgRestoreArgs, pgRestoreListArgs, pgRestoreScriptArgs, psqlRestoreArgs, quoteConninfoValue, toolCommand, toolEnv } from './argv';
import { PostgresConfig, PostgresRestoreTarget } from './config';
import { endsWithCommit } from './in-place';
import { postgresEngine } from './index';
import { summarizeStderr } from './run-tool';
import { childEnv } from '@/server/process';

const PASSWORD = "s3cr3t pa'ss\\word";

const config = PostgresConfig.parse({ host: 'db.internal', database: 'orders', user: 'backup' });

/** Splits a conninfo string back into key/values the way libpq does (quoted values, backslash escapes). */
function parseConninfo(conninfo: string): Record<string, string> {
  const result: Record<string, string> = {};
  const re = /(\w+)='((?:[^'\\]|\\.)*)'\s*/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(conninfo)) !== null) {
    result[match[1]!] = match[2]!.replace(/\\(.)/g, '$1');
    consumed = re.lastIndex;
  }
  expect(consumed, `conninfo fully parsed: ${conninfo}`).toBe(conninfo.length);
  return result;
}

function dbnameArg(args: string[]): string {
  const args_ = args.filter((a) => a.startsWith('--dbname='));
  expect(args_).toHaveLength(1);
  return args_[0]!.slice('--dbname='.length);
}

describe('postgres argv', () => {
  it('dumps in custom format without ever prompting', () => {
    const args = pgDumpArgs(config);
    expect(args).toContain('--format=custom');
    expect(args).toContain('--no-password');
    expect(args.some((a) => a.startsWith('--lock-wait-timeout='))).toBe(true);
    expect(parseConninfo(dbnameArg(args))).toMatchObject({ host: 'db.internal', port: '5432', dbname: 'orders', user: 'backup' });
  });

  it('restores with --no-owner --exit-on-error into the target, reading stdin', () => {
    const target = PostgresRestoreTarget.parse({ database: 'orders_restored' });
    const args = pgRestoreArgs(config, target);
    expect(args).toEqual(expect.arrayContaining(['--no-owner', '--exit-on-error', '--no-password']));
    expect(args).not.toContain('--no-privileges');
    expect(parseConninfo(dbnameArg(args)).dbname).toBe('orders_restored');
    // No positional argument: the archive comes from stdin.
    expect(args.every((a) => a.startsWith('--'))).toBe(true);

    expect(pgRestoreArgs(config, PostgresRestoreTarget.parse({ database: 'x', noPrivileges: true }))).toContain('--no-privileges');
  });

  it('turns the archive into one transaction of SQL for an in-place restore, and runs it with psql stopping at the first error', () => {
    const target = PostgresRestoreTarget.parse({ database: 'orders' });
    const script = pgRestoreScriptArgs(target);
    expect(script).toEqual(expect.arrayContaining(['--clean', '--if-exists', '--single-transaction', '--no-owner', '--file=-']));
    // pg_restore only converts: no connection, no credentials.
    expect(script.some((a) => a.startsWith('--dbname') || a.startsWith('-d'))).toBe(false);
    expect(script).not.toContain('--no-privileges');
    expect(pgRestoreScriptArgs(PostgresRestoreTarget.parse({ database: 'x', noPrivileges: true }))).toContain('--no-privileges');

    const psql = psqlRestoreArgs(config, target);
    expect(psql).toEqual(expect.arrayContaining(['--no-psqlrc', '--no-password', '--set=ON_ERROR_STOP=1']));
    expect(parseConninfo(dbnameArg(psql))).toMatchObject({ host: 'db.internal', dbname: 'orders', user: 'backup' });
    // No --single-transaction: with it psql would COMMIT whatever it read, a script cut short included.
    expect(psql).not.toContain('--single-transaction');
    expect(psql.every((a) => a.startsWith('--'))).toBe(true);
  });

  it('accepts only a script that ends with its COMMIT', () => {
    const unrestrict = '\\unrestrict Abc123\n';
    expect(endsWithCommit(Buffer.from(`COPY t FROM stdin;\n1\n\\.\nCOMMIT;\n\n--\n-- PostgreSQL database dump complete\n--\n\n${unrestrict}\n`))).toBe(true);
    expect(endsWithCommit(Buffer.from('SELECT 1;\nCOMMIT;\n'))).toBe(true);
    expect(endsWithCommit(Buffer.from('SELECT 1;\nCOMMIT;\nDROP TABLE t;\n'))).toBe(false);
    expect(endsWithCommit(Buffer.from('COPY t FROM stdin;\n1\n2\n'))).toBe(false);
    expect(endsWithCommit(Buffer.alloc(0))).toBe(false);
  });

  it('lists an archive read from stdin, without connecting anywhere', () => {
    const args = pgRestoreListArgs();
    expect(args).toEqual(['--list']);
    // No --dbname (no connection, no credentials) and no file argument: the archive comes from stdin.
    expect(args.some((a) => a.startsWith('--dbname') || a.startsWith('-d'))).toBe(false);
  });

  it('never puts the password in argv, only in the child environment', () => {
    const secrets = { password: PASSWORD };
    const all = [
      ...pgDumpArgs(config),
      ...pgRestoreArgs(config, { database: 'x', noPrivileges: false }),
      ...psqlRestoreArgs(config, { database: 'x', noPrivileges: false }),
    ].join('\n');
    expect(all).not.toContain('s3cr3t');
    expect(all).not.toMatch(/password=/i);
    expect(toolEnv(secrets)).toEqual({ PGPASSWORD: PASSWORD });
    expect(toolEnv({})).toEqual({});
  });

  it("drops the worker's own PG* variables so they cannot redirect a backup; only the source's password is passed", () => {
    const worker = { PATH: '/bin', HOME: '/home/w', PGHOST: 'evil', PGPASSWORD: 'worker-pw', PGOPTIONS: '-c x=y', PGSERVICE: 's', pgdatabase: 'd', UNSET: undefined };
    expect(childEnv(toolEnv({}), worker)).toEqual({ PATH: '/bin', HOME: '/home/w' });
    expect(childEnv(toolEnv({ password: PASSWORD }), worker)).toEqual({ PATH: '/bin', HOME: '/home/w', PGPASSWORD: PASSWORD });
  });

  it.each([
    ['my db; drop', 'my db; drop'],
    ['-starts-with-dash', '-starts-with-dash'],
    ['--help', '--help'],
    ["it's", "it's"],
    ['back\\slash', 'back\\slash'],
    ['a=b host=evil', 'a=b host=evil'],
    ['"quoted"', '"quoted"'],
    ['ünïcødé', 'ünïcødé'],
  ])('keeps the odd database name %j a single, exact value', (name, expected) => {
    const odd = PostgresConfig.parse({ host: 'h', database: name, user: '-u; x' });
    const dumpArgs = pgDumpArgs(odd);
    // The user value is attached to --dbname=, so no argv element is the bare name (which could parse as an option).
    expect(dumpArgs).not.toContain(name);
    const parsed = parseConninfo(dbnameArg(dumpArgs));
    expect(parsed.dbname).toBe(expected);
    expect(parsed.user).toBe('-u; x');
    expect(parsed.host).toBe('h');
    const restoreArgs = pgRestoreArgs(odd, { database: name, noPrivileges: false });
    expect(parseConninfo(dbnameArg(restoreArgs)).dbname).toBe(expected);
  });

  it('quotes conninfo values per libpq', () => {
    expect(quoteConninfoValue('plain')).toBe("'plain'");
    expect(quoteConninfoValue("o'brien")).toBe("'o\\'brien'");
    expect(quoteConninfoValue('a\\b')).toBe("'a\\\\b'");
    expect(quoteConninfoValue('')).toBe("''");
  });

  it('includes sslmode only when set, and a custom port', () => {
    expect(buildConninfo(config)).not.toContain('sslmode');
    const tls = PostgresConfig.parse({ host: 'h', port: 6543, database: 'd', user: 'u', sslmode: 'verify-full' });
    expect(parseConninfo(buildConninfo(tls))).toMatchObject({ port: '6543', sslmode: 'verify-full' });
  });

  it('resolves tools from PATH or a configured folder', () => {
    expect(toolCommand('pg_dump')).toBe('pg_dump');
    expect(toolCommand('pg_restore', '/usr/lib/postgresql/16/bin')).toBe('/usr/lib/postgresql/16/bin/pg_restore');
  });
});

describe('postgres config', () => {
  it('defaults the port and rejects what libpq cannot carry', () => {
    expect(PostgresConfig.parse({ host: 'h', database: 'd', user: 'u' }).port).toBe(5432);
    expect(PostgresConfig.safeParse({ host: 'h', database: 'a\u0000b', user: 'u' }).success).toBe(false);
    expect(PostgresConfig.safeParse({ host: 'h', database: 'x'.repeat(64), user: 'u' }).success).toBe(false);
    expect(PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', port: 70000 }).success).toBe(false);
    // Secrets belong in secrets: a password in the config is refused, not silently stored in clear.
    expect(PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', password: 'x' }).success).toBe(false);
  });

  it('reports invalid input without echoing values', () => {
    let caught: unknown;
    try {
      postgresEngine.backup({ host: 'h', database: 'd', user: 'u' }, { password: 12345 as unknown as string });
    } catch (err) {
      caught = err;
    }
    expect(isEngineError(caught, 'INVALID_CONFIG')).toBe(true);
    expect((caught as Error).message).toMatch(/password/);
    expect((caught as Error).message).not.toContain('12345');
  });
});

describe('summarizeStderr', () => {
  it('keeps the error lines, without tool prefixes or double spaces', () => {
    const stderr = [
      'pg_dump: warning: something harmless',
      'pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "nope" does not exist',
      '',
    ].join('\n');
    expect(summarizeStderr('pg_dump', stderr)).toBe('connection to server at "127.0.0.1", port 5432 failed: FATAL: database "nope" does not exist');
  });
});

describe('pg_dump compression', () => {
  it('leaves compression to pg_dump by default and turns it off for the zstd pipeline', () => {
    const config = { host: 'db', port: 5432, database: 'app', user: 'u' };
    expect(pgDumpArgs(config)).not.toContain('--compress=0');
    expect(pgDumpArgs(config, { compress: false })).toContain('--compress=0');
  });
});

describe('PostgresConfig port', () => {
  it('accepts numeric strings and defaults to 5432, refusing anything else readably', () => {
    expect(PostgresConfig.parse({ host: 'h', database: 'd', user: 'u', port: '6543' }).port).toBe(6543);
    expect(PostgresConfig.parse({ host: 'h', database: 'd', user: 'u' }).port).toBe(5432);
    const bad = PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', port: 'abc' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/port must be a number/);
    expect(PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', port: 70000 }).success).toBe(false);
  });
});

describe('what a postgres backup captures (config → pg_dump argv)', () => {
  const parse = (extra: Record<string, unknown>) => PostgresConfig.parse({ host: 'db.internal', database: 'orders', user: 'backup', ...extra });

  it('passes schema-only, data-only and table patterns as single argv elements after "=", never as options', () => {
    const args = pgDumpArgs(parse({ schemaOnly: true, tables: ['-lead; rm -rf /', '"Weird Table; drop"', 'public.audit_*'], excludeTables: ['--help'] }));
    expect(args).toContain('--schema-only');
    expect(args).not.toContain('--data-only');
    expect(args).toContain('--strict-names');
    expect(args).toEqual(
      expect.arrayContaining(['--table=-lead; rm -rf /', '--table="Weird Table; drop"', '--table=public.audit_*', '--exclude-table=--help']),
    );
    // Every element is an option with its value attached: nothing a pattern holds can become an option of its own.
    expect(args.every((a) => /^--[a-z-]+(=|$)/.test(a))).toBe(true);
    expect(pgDumpArgs(parse({ dataOnly: true }))).toContain('--data-only');
    expect(pgDumpArgs(parse({}))).not.toContain('--strict-names');
  });

  it('dumps another database of the server, in an exported snapshot', () => {
    const args = pgDumpArgs(parse({}), { database: '-other db', snapshot: '00000003-0000001B-1' });
    expect(args).toContain('--snapshot=00000003-0000001B-1');
    expect(parseConninfo(dbnameArg(args)).dbname).toBe('-other db');
  });

  it('captures the globals with pg_dumpall, without password hashes when the role may not read them', () => {
    const config = parse({ globals: true });
    const args = pgDumpallGlobalsArgs(config, { noRolePasswords: true });
    expect(args).toEqual(expect.arrayContaining(['--globals-only', '--no-password', '--no-role-passwords', '--database=orders']));
    expect(pgDumpallGlobalsArgs(config, { noRolePasswords: false })).not.toContain('--no-role-passwords');
    expect(parseConninfo(dbnameArg(args))).toMatchObject({ host: 'db.internal', user: 'backup' });
  });

  it('refuses schemaOnly with dataOnly, readably', () => {
    const result = PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', schemaOnly: true, dataOnly: true });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['dataOnly'], message: expect.stringMatching(/^schemaOnly and dataOnly cannot both be set/) });
    expect(PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', schemaOnly: true, dataOnly: false }).success).toBe(true);
  });

  it('takes lists as arrays (the API) or comma-separated text (the form), and * for every database', () => {
    expect(parse({ databases: 'a, b ,c' }).databases).toEqual(['a', 'b', 'c']);
    expect(parse({ databases: ' * ' }).databases).toBe('*');
    expect(parse({ databases: ['x y', '-z'] }).databases).toEqual(['x y', '-z']);
    expect(parse({ tables: 'users,\npublic.orders' }).tables).toEqual(['users', 'public.orders']);
    const bad = (extra: Record<string, unknown>) => PostgresConfig.safeParse({ host: 'h', database: 'd', user: 'u', ...extra }).error?.issues.map((i) => i.message);
    expect(bad({ databases: [] })).toEqual([expect.stringMatching(/at least one database/)]);
    expect(bad({ databases: ['a', 'a'] })).toEqual(['databases must not name a database twice']);
    expect(bad({ databases: 5 })).toEqual(['databases must be "*" or a list of database names']);
    expect(bad({ tables: ['ok', 'tab\there'] })).toEqual(['table pattern must not contain control characters']);
    expect(bad({ globals: 'yes' })).toEqual(['globals must be true or false']);
  });

  it('parses restore targets naming a database of the point and some tables', () => {
    expect(PostgresRestoreTarget.parse({ database: 'copy', from: 'orders', tables: 'users, public.orders' })).toEqual({
      database: 'copy',
      noPrivileges: false,
      from: 'orders',
      tables: ['users', 'public.orders'],
    });
    expect(PostgresRestoreTarget.safeParse({ database: 'copy', tables: [] }).success).toBe(false);
  });
});

describe('PostgresConfig database with databases', () => {
  it('may leave database out when databases names them: it connects to the first, or to postgres for "*"', () => {
    expect(PostgresConfig.parse({ host: 'h', user: 'u', databases: ['shop', 'crm'] }).database).toBe('shop');
    expect(PostgresConfig.parse({ host: 'h', user: 'u', databases: '*' }).database).toBe('postgres');
    expect(PostgresConfig.parse({ host: 'h', user: 'u', database: 'ops', databases: '*' }).database).toBe('ops');
  });
  it('still needs database without databases, naming the field', () => {
    const bad = PostgresConfig.safeParse({ host: 'h', user: 'u', globals: true });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['database', 'database is required (or databases: a list of names or "*")']]);
  });
});
