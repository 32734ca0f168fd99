/**
 * The migrator CLI against the real PostgreSQL server in DATABASE_URL (default: postgres@127.0.0.1:5432, which
 * must be allowed to create databases). Every run is a child process, exactly as operators and `npm test` use it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'prisma/migrator/migrate.ts');
const SCHEMA = path.join(ROOT, 'prisma/schema.prisma');
const MIGRATIONS = path.join(ROOT, 'prisma/migrations');

const server = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const urlFor = (database: string) => Object.assign(new URL(server), { pathname: `/${database}` }).toString();
const database = `lb_migrate_it_${randomBytes(4).toString('hex')}`;
const databaseUrl = urlFor(database);

let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function migrate(args: string[], env: Record<string, string> = { DATABASE_URL: databaseUrl }): Promise<Run> {
  return new Promise((resolve) => {
    // Without DEBUG: the error output under test is the one operators see.
    const { DEBUG: _debug, ...inherited } = process.env;
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: ROOT, env: { ...inherited, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function query<R extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: urlFor(db) });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const shadowDatabases = async () =>
  (await query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'lifeboat\\_shadow\\_%'`)).map(
    (r) => r.datname,
  );

let allMigrations: string[];
let shadowsBefore: string[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'lb-migrate-'));
  const entries = await readdir(MIGRATIONS, { withFileTypes: true });
  allMigrations = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  shadowsBefore = await shadowDatabases();
});

afterAll(async () => {
  await query('postgres', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await rm(work, { recursive: true, force: true });
});

describe('deploy', () => {
  it('creates the database and applies every migration', async () => {
    const run = await migrate(['deploy']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`created database ${database}\n${allMigrations.map((m) => `applied ${m}\n`).join('')}`);

    const tables = await query<{ t: string }>(
      database,
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining(['User', 'ApiToken', 'Source', 'Run', 'RecoveryPoint', 'AuditEvent', '_prisma_migrations']),
    );
    const history = await query<{ migration_name: string; done: boolean }>(
      database,
      'SELECT migration_name, finished_at IS NOT NULL AS done FROM _prisma_migrations',
    );
    expect(history.sort((a, b) => a.migration_name.localeCompare(b.migration_name))).toEqual(
      allMigrations.map((m) => ({ migration_name: m, done: true })),
    );
  });

  it('is a no-op the second time', async () => {
    const run = await migrate(['deploy']);
    expect(run).toMatchObject({ code: 0, stdout: 'no pending migrations\n', stderr: '' });
    const [{ n }] = (await query<{ n: number }>(database, 'SELECT count(*)::int AS n FROM _prisma_migrations')) as [{ n: number }];
    expect(n).toBe(allMigrations.length);
  });

  it('status lists the applied migrations', async () => {
    const run = await migrate(['status']);
    expect(run).toMatchObject({ code: 0, stdout: allMigrations.map((m) => `applied  ${m}\n`).join('') });
  });
});

describe('check', () => {
  it('passes on the real schema and migrations', async () => {
    const run = await migrate(['check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('fails with the diff when the schema has a field the migrations lack', async () => {
    const schema = await readFile(SCHEMA, 'utf8');
    const changed = schema.replace(/^(model User \{\n)/m, '$1  nickname String?\n');
    expect(changed).not.toBe(schema);
    const file = path.join(work, 'schema.prisma');
    await writeFile(file, changed);

    const run = await migrate(['check', '--schema', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ALTER TABLE "User" ADD COLUMN');
    expect(run.stdout).toContain('"nickname" TEXT');

    // `create` turns that drift into a migration, after which the pair agrees again.
    const dir = path.join(work, 'migrations');
    await cp(MIGRATIONS, dir, { recursive: true });
    const created = await migrate(['create', 'add user nickname', '--schema', file, '--migrations', dir]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created .*\/\d{14}_add_user_nickname\/migration\.sql\n$/);
    expect(await migrate(['check', '--schema', file, '--migrations', dir])).toMatchObject({ code: 0 });
    expect(await migrate(['create', 'again', '--schema', file, '--migrations', dir])).toMatchObject({ code: 0, stdout: 'no changes\n' });
  });

  it('fails when the migrations create something the schema lacks', async () => {
    const dir = path.join(work, 'migrations-extra');
    await cp(MIGRATIONS, dir, { recursive: true });
    await mkdir(path.join(dir, '29991231000000_extra'));
    await writeFile(path.join(dir, '29991231000000_extra', 'migration.sql'), 'CREATE TABLE "Stray" ("id" INTEGER PRIMARY KEY);\n');

    const run = await migrate(['check', '--migrations', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('DROP TABLE "Stray"');
  });

  it('leaves no shadow database behind', async () => {
    // Another process may be running a check right now; its shadow database goes away within seconds.
    for (let tries = 0; ; tries++) {
      const left = (await shadowDatabases()).filter((n) => !shadowsBefore.includes(n));
      if (left.length === 0) break;
      if (tries > 20) expect(left).toEqual([]);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
});

describe('errors', () => {
  it('reports a bad DATABASE_URL in one line, without a stack trace', async () => {
    const run = await migrate(['deploy'], { DATABASE_URL: 'mysql://nope' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^migrate: DATABASE_URL must be postgresql:\/\/[^\n]*\n$/);
  });

  it('reports an unreachable server in one line', async () => {
    // Port 1 is never a PostgreSQL server, so the connection is refused at once.
    const run = await migrate(['status'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/x' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^migrate: [^\n]+\n$/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
