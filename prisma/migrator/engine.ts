import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as wasmGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

export type { SchemaEngine };

/** A failure the CLI reports as one line, without a stack trace. */
export class MigratorError extends Error {
  override name = 'MigratorError';
}

// pg's type id for the one-byte catalog type "char" (pg_class.relkind, pg_constraint.contype …) and for text.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

let wasmReady: Promise<void> | undefined;

/**
 * Timers the engine started. Its timeouts (10 s around the advisory lock, …) are never cleared when the guarded
 * work finishes first, so a CLI run would linger until they fire; they are cleared once no engine is open.
 */
const engineTimers = new Set<NodeJS.Timeout>();
let openEngines = 0;

/** Clears the engine's leftover timers once no engine is open any more. */
function clearIdleTimers(): void {
  if (openEngines > 0) return;
  for (const timer of engineTimers) clearTimeout(timer);
  engineTimers.clear();
}

function trackedSetTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    fn();
  }, ms >>> 0);
  engineTimers.add(timer);
  return timer;
}

/**
 * The package's own entry imports the .wasm file as an ES module, which Node 20 only allows behind
 * --experimental-wasm-modules; instantiating it by hand works under plain node, tsx and vitest alike.
 */
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const glueFile = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(path.dirname(glueFile), 'schema_engine_bg.wasm'));
    const imports: WebAssembly.ModuleImports = { ...(wasmGlue as unknown as WebAssembly.ModuleImports) };
    const setTimeoutImport = Object.keys(imports).find((name) => name.startsWith('__wbg_setTimeout_'));
    if (setTimeoutImport) imports[setTimeoutImport] = trackedSetTimeout;
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    wasmGlue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

/** The same server as `url`, another database (and no other change: user, password, sslmode stay). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database named in a postgresql:// URL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new MigratorError('DATABASE_URL names no database (expected postgresql://user@host:port/<database>)');
  return name;
}

/**
 * adapter-pg maps every result column to a Prisma column type and rejects the catalog type "char" (OID 18),
 * which the engine reads when it describes a schema. Its values already arrive as one-character strings, so
 * relabelling the column as text is all the engine needs.
 */
function charColumnsAsText<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as pg.QueryResult | undefined)?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

type QueryCallback = (err: Error | null, res?: unknown) => void;

/** pg's Client with "char" columns relabelled; used through Pool's `Client` option so transactions get it too. */
class CatalogClient extends pg.Client {
  // @ts-expect-error pg declares query as a set of overloads; every shape is forwarded unchanged.
  override query(config: unknown, values?: unknown, callback?: unknown): unknown {
    const base = super.query as unknown as (...args: unknown[]) => unknown;
    const wrap = (cb: QueryCallback): QueryCallback => (err, res) => cb(err, res && charColumnsAsText(res));
    // Submittables (cursors, streams) carry their own result handling; the engine never sends one.
    if (typeof (config as { submit?: unknown } | null)?.submit === 'function') return base.call(this, config, values, callback);
    if (typeof values === 'function') return base.call(this, config, wrap(values as QueryCallback));
    if (typeof callback === 'function') return base.call(this, config, values, wrap(callback as QueryCallback));
    return (base.call(this, config, values) as Promise<unknown>).then(charColumnsAsText);
  }
}

async function openAdapter(url: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool({
    connectionString: url,
    // The override's signature is looser than pg's overloads; the behaviour is pg's own for every call shape.
    Client: CatalogClient as unknown as typeof pg.Client,
    // One session: the engine's advisory lock (pg_advisory_lock) is session-scoped, so every statement must run in
    // the session that took it; the engine issues one statement at a time anyway.
    max: 1,
    // Never close the idle session mid-run: that would silently release the advisory lock.
    idleTimeoutMillis: 0,
  });
  const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
  // adapter-pg splits scripts on every ";" (breaking DO blocks and string literals) and runs the pieces one by one
  // (a failure leaves half a migration behind). Like the native engine, send the whole script as one simple-protocol
  // query: PostgreSQL runs it as one implicit transaction. executeRaw without arguments does exactly that and
  // keeps adapter-pg's error mapping.
  adapter.executeScript = async (script: string) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

/** The database every PostgreSQL server has, used to create and drop the others. */
export const MAINTENANCE_DB = 'postgres';

/** Runs `fn` on the maintenance database of the server in `url`. */
export async function onMaintenanceDb<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, MAINTENANCE_DB) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The adapter factory handed to the engine. Differs from `new PrismaPg(url)` in three ways: "char" columns are
 * readable, the shadow database really is a separate database (adapter-pg spreads the main `connectionString`
 * into the shadow config, and pg lets the connection string win over `database`), and the shadow pool is closed
 * before its database is dropped (adapter-pg drops first, which fails while the pool is still connected).
 */
class MigratorAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  /** Adapters not disposed yet: the engine never disposes its main connection, and may skip a shadow on failure. */
  private readonly open = new Set<SqlDriverAdapter>();
  /** The last error thrown to the engine: the engine reports it as an opaque "GenericJs" error. */
  lastError: unknown;

  constructor(private readonly url: string) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.record(() => this.track(openAdapter(this.url)));
  }

  connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.record(async () => {
      const name = `lifeboat_shadow_${randomBytes(6).toString('hex')}`;
      await onMaintenanceDb(this.url, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`)).catch(
        (e: Error) => {
          throw new MigratorError(`cannot create a shadow database (the role needs CREATEDB): ${e.message}`, { cause: e });
        },
      );
      const drop = () =>
        onMaintenanceDb(this.url, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)}`)).then(
          () => undefined,
        );
      return this.track(openAdapter(withDatabase(this.url, name)).catch(async (e: unknown) => {
        await drop();
        throw e;
      }), drop);
    });
  }

  /** Closes every pool still open and drops every shadow database still there. */
  async close(): Promise<void> {
    for (const adapter of [...this.open]) await adapter.dispose();
  }

  /** Makes dispose idempotent, remembered until called, and followed by `after` (dropping the shadow database). */
  private async track(opening: Promise<SqlDriverAdapter>, after?: () => Promise<void>): Promise<SqlDriverAdapter> {
    const adapter = await opening;
    const closePool = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => {
      disposed ??= (async () => {
        this.open.delete(adapter);
        try {
          await closePool();
        } finally {
          await after?.();
        }
      })();
      return disposed;
    };
    this.open.add(adapter);
    return adapter;
  }

  private async record<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.lastError = e;
      throw e;
    }
  }
}

export interface Engine {
  /** Runs one engine command; its errors become one-line MigratorErrors. */
  run<T>(fn: (engine: SchemaEngine) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Starts the wasm schema engine against the database in `url` (shadow databases go on the same server). */
export async function openEngine(url: string): Promise<Engine> {
  await loadWasm();
  const factory = new MigratorAdapterFactory(url);
  const log = (line: string) => {
    if (process.env.DEBUG) process.stderr.write(`[schema-engine] ${line}\n`);
  };
  const engine = await wasmGlue.SchemaEngine.new(
    { datamodels: undefined },
    log,
    bindMigrationAwareSqlAdapterFactory(factory),
  ).catch(async (e: unknown) => {
    await factory.close();
    clearIdleTimers();
    throw toMigratorError(e, factory.lastError);
  });
  openEngines++;
  return {
    async run(fn) {
      factory.lastError = undefined;
      try {
        return await fn(engine);
      } catch (e) {
        throw toMigratorError(e, factory.lastError);
      }
    },
    async close() {
      engine.free();
      await factory.close();
      openEngines--;
      clearIdleTimers();
    },
  };
}

/**
 * Engine errors carry a span trace ("   0: sql_schema_connector::…") after the message; users need the message.
 * Errors our own factory threw reach the engine only as "GenericJs", so the recorded original is preferred.
 */
function toMigratorError(e: unknown, factoryError: unknown): Error {
  const source = factoryError ?? e;
  if (!(source instanceof Error)) return new MigratorError(String(source));
  const message = source.message.split(/\n\s+0: /)[0]!.trim();
  const code = (source as { code?: unknown }).code;
  const err = new MigratorError(typeof code === 'string' && /^P\d{4}$/.test(code) ? `${code}: ${message}` : message);
  err.cause = source;
  return err;
}
