/**
 * Offline replacement for `prisma migrate deploy|dev --create-only|diff|status`: drives Prisma's schema engine
 * compiled to wasm through @prisma/adapter-pg, so no native schema-engine binary has to be downloaded.
 * Same `_prisma_migrations` table and `prisma/migrations/<timestamp>_<name>/migration.sql` layout as the CLI.
 *
 *   npx tsx prisma/migrator/migrate.ts deploy|create <name>|check|status [--schema <file>] [--migrations <dir>]
 *
 * Exit codes: 0 ok; 1 `check` found drift or `status` found unapplied/failed migrations; 2 error.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import pg from 'pg';
import { z } from 'zod';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import {
  databaseName,
  MAINTENANCE_DB,
  MigratorError,
  onMaintenanceDb,
  openEngine,
  withDatabase,
  type Engine,
} from './engine';
import {
  LOCK_PROVIDER,
  migrationDirName,
  NO_FILTER,
  readMigrations,
  readSchema,
  writeMigration,
} from './migrations-dir';

const PRISMA_DIR = path.resolve(import.meta.dirname, '..');

/** Paths as the operator would type them: relative to where the command runs. */
const shown = (p: string): string => path.relative(process.cwd(), p) || '.';

const DatabaseUrl = z
  .string({ message: 'DATABASE_URL is not set' })
  .regex(/^postgres(ql)?:\/\/[^/]+\/[^/?]+/, 'DATABASE_URL must be postgresql://user@host:port/<database>');

// A migration name becomes part of a directory name (snake_cased, after a timestamp).
const MigrationName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _-]*$/, 'migration name: letters, digits, spaces, "_" and "-" only')
  // Keeps `<14-digit timestamp>_<name>` well below the 255-byte file-name limit of common filesystems.
  .max(200, 'migration name: at most 200 characters');

const Paths = z.object({ schema: z.string(), migrations: z.string() });
type Paths = z.infer<typeof Paths>;

// PostgreSQL error codes: the database named in the URL does not exist / was created concurrently (42P04 when it
// already existed, 23505 on pg_database's unique index when two CREATE DATABASE statements raced).
const PG_INVALID_CATALOG_NAME = '3D000';
const PG_DATABASE_EXISTS = new Set(['42P04', '23505']);

/** Result of a command: what to print and how to exit. */
interface Outcome {
  lines: string[];
  exitCode: 0 | 1;
}

function databaseUrl(): string {
  return DatabaseUrl.parse(process.env.DATABASE_URL);
}

async function withEngine<T>(url: string, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine(url);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Creates the database named in `url` unless it exists; true when it had to be created. */
async function ensureDatabase(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (e) {
    if ((e as { code?: string }).code !== PG_INVALID_CATALOG_NAME) throw e;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const name = databaseName(url);
  return onMaintenanceDb(url, async (c) => {
    try {
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
      return true;
    } catch (e) {
      // Two deploys starting at once: the other one created it, which is just as good.
      if (PG_DATABASE_EXISTS.has((e as { code?: string }).code ?? '')) return false;
      throw e;
    }
  });
}

export async function deploy(paths: Paths): Promise<Outcome> {
  const url = databaseUrl();
  const lines: string[] = [];
  if (await ensureDatabase(url)) lines.push(`created database ${databaseName(url)}`);
  const migrationsList = await readMigrations(paths.migrations);
  const { appliedMigrationNames } = await withEngine(url, async (e) => {
    try {
      return await e.run((engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTER }));
    } catch (err) {
      // The wasm engine's error names the database error but not the migration; the history does.
      const failed = await e
        .run((engine) =>
          engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER }),
        )
        .then((d) => d.failedMigrationNames, () => []);
      if (failed.length === 0 || !(err instanceof MigratorError) || err.message.startsWith('P3009')) throw err;
      throw new MigratorError(`migration ${failed.join(', ')} failed: ${err.message}`, { cause: err });
    }
  });
  lines.push(...appliedMigrationNames.map((name) => `applied ${name}`));
  if (appliedMigrationNames.length === 0) lines.push('no pending migrations');
  return { lines, exitCode: 0 };
}

/**
 * The SQL taking a database built from the migrations to the schema; null when there is none. The wasm engine's
 * own createMigration cannot reach a shadow database (it only looks for a shadow URL), while `diff` replays the
 * migrations on a shadow database obtained from the adapter factory, so both `create` and `check` use `diff`.
 */
async function migrationsToSchema(paths: Paths): Promise<{ list: MigrationList; script: string | null }> {
  const url = databaseUrl();
  const [list, schema] = await Promise.all([readMigrations(paths.migrations), readSchema(paths.schema)]);
  // Before the first migration there is no lockfile to name the connector; it will say "postgresql" once written.
  const from = { tag: 'migrations' as const, ...list, lockfile: { ...list.lockfile, content: list.lockfile.content ?? LOCK_PROVIDER } };
  // The migrations are replayed on a throwaway shadow database; the engine's main connection is never queried for
  // this diff, so it goes to the maintenance database: `check` works before the app database exists.
  const diff = await withEngine(withDatabase(url, MAINTENANCE_DB), (e) =>
    e.run((engine) =>
      engine.diff({ from, to: { tag: 'schemaDatamodel', ...schema }, script: true, exitCode: true, filters: NO_FILTER }),
    ),
  );
  // With exitCode requested the engine answers 2 for a non-empty diff (`prisma migrate diff --exit-code`).
  return { list, script: diff.exitCode === 0 ? null : (diff.stdout ?? '') };
}

export async function create(rawName: string, paths: Paths): Promise<Outcome> {
  const name = migrationDirName(MigrationName.parse(rawName), new Date());
  const { list, script } = await migrationsToSchema(paths);
  if (script === null) return { lines: ['no changes'], exitCode: 0 };
  const dir = await writeMigration(list, name, script);
  return { lines: [`created ${shown(path.join(dir, 'migration.sql'))}`], exitCode: 0 };
}

export async function check(paths: Paths): Promise<Outcome> {
  const { list, script } = await migrationsToSchema(paths);
  if (script === null) {
    return { lines: [`in sync: ${list.migrationDirectories.length} migration(s) match the schema`], exitCode: 0 };
  }
  return {
    lines: [
      `drift: ${shown(paths.schema)} and ${shown(paths.migrations)} differ; this SQL takes the migrations to the schema:`,
      '',
      script.trimEnd(),
      '',
      'If the schema is right: npx tsx prisma/migrator/migrate.ts create <name>',
    ],
    exitCode: 1,
  };
}

export async function status(paths: Paths): Promise<Outcome> {
  const url = databaseUrl();
  const migrationsList = await readMigrations(paths.migrations);
  const d = await withEngine(url, (e) =>
    e.run((engine) =>
      engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTER }),
    ),
  );
  const h = d.history;
  const unapplied = new Set(
    h?.diagnostic === 'databaseIsBehind' || h?.diagnostic === 'historiesDiverge' ? h.unappliedMigrationNames : [],
  );
  const unpersisted =
    h?.diagnostic === 'migrationsDirectoryIsBehind' || h?.diagnostic === 'historiesDiverge'
      ? h.unpersistedMigrationNames
      : [];
  const failed = new Set(d.failedMigrationNames);
  const edited = new Set(d.editedMigrationNames);
  const lines = migrationsList.migrationDirectories.map(({ path: name }) => {
    const state = failed.has(name) ? 'failed ' : unapplied.has(name) ? 'pending' : 'applied';
    return `${state}  ${name}${edited.has(name) ? '  (edited since it was applied)' : ''}`;
  });
  lines.push(...unpersisted.map((name) => `missing  ${name}  (applied to the database, not in ${shown(paths.migrations)})`));
  if (lines.length === 0) lines.push(`no migrations in ${shown(paths.migrations)}`);
  const clean = unapplied.size === 0 && unpersisted.length === 0 && failed.size === 0 && edited.size === 0;
  return { lines, exitCode: clean ? 0 : 1 };
}

/** One line for the operator; the stack only when DEBUG is set. */
function describe(e: unknown): string {
  if (e instanceof z.ZodError) return e.issues.map((i) => i.message).join('; ');
  const err = e as { message?: string; code?: string };
  const message = (err.message ?? String(e))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' — ');
  if (e instanceof MigratorError) return message;
  // pg connection errors (ECONNREFUSED …) and server errors (28P01 …) both carry a code worth showing.
  return err.code ? `${message} (${err.code})` : message;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('migrate')
    .description('Prisma migrations without the native schema engine (wasm engine + adapter-pg)')
    .option('--schema <file>', 'Prisma schema', path.join(PRISMA_DIR, 'schema.prisma'))
    .option('--migrations <dir>', 'migrations directory', path.join(PRISMA_DIR, 'migrations'))
    .exitOverride();
  let outcome: Outcome | undefined;
  const paths = () => Paths.parse(program.opts());
  program.command('deploy').description('create the database if needed, apply pending migrations').action(async () => {
    outcome = await deploy(paths());
  });
  program.command('create <name>').description('write a migration from the migrations to the schema').action(async (name: string) => {
    outcome = await create(name, paths());
  });
  program.command('check').description('exit 1 if the schema and the migrations differ').action(async () => {
    outcome = await check(paths());
  });
  program.command('status').description('list applied and pending migrations').action(async () => {
    outcome = await status(paths());
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // Commander has already printed its own message (unknown command, missing argument, --help).
    if (e instanceof Error && 'exitCode' in e && typeof e.exitCode === 'number') return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  if (!outcome) return 2;
  if (outcome.lines.length > 0) process.stdout.write(`${outcome.lines.join('\n')}\n`);
  return outcome.exitCode;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`migrate: ${describe(e)}\n`);
      if (process.env.DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n${e.cause ? String((e.cause as Error).stack ?? e.cause) : ''}\n`);
      process.exitCode = 2;
    },
  );
}
