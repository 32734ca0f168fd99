import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';

import { EngineError } from '../engine';
import { classifyClientError } from './classify-error';
import { APPLICATION_NAME, CONNECT_TIMEOUT_SECONDS } from './argv';
import { describeServer, type PostgresConfig, type PostgresSecrets, type PostgresSslMode } from './config';

// Metadata and DDL queries are tiny; anything slower than this means the server is in trouble.
const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * node-postgres settings equivalent to what the CLI tools get from `buildConninfo` + `toolEnv`.
 * Every field is set explicitly because node-postgres falls back to PGHOST/PGPASSWORD/PGSSLMODE from the
 * worker's environment for anything left undefined, and the source's config must be the only input.
 */
export function clientConfig(config: PostgresConfig, secrets: PostgresSecrets, database: string = config.database): pg.ClientConfig {
  const password = secrets.password ?? '';
  return {
    host: config.host,
    port: config.port,
    database,
    user: config.user,
    // A function so node-postgres does not consult PGPASSWORD or ~/.pgpass when no password is configured.
    password: () => password,
    ssl: sslOptions(config.sslmode),
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: CONNECT_TIMEOUT_SECONDS * 1000,
    statement_timeout: STATEMENT_TIMEOUT_MS,
  };
}

/**
 * node-postgres has no "prefer"/"allow" (try TLS, fall back): those connect in plain text here, while the
 * CLI tools may use TLS. Both work against the same server, which is all a probe or metadata query needs.
 */
function sslOptions(mode: PostgresSslMode | undefined): boolean | ConnectionOptions {
  switch (mode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // verify-ca checks the chain but not the host name.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      return false;
  }
}

/** Connects, runs `fn`, always disconnects. Aborting the signal ends the connection (and so the query). */
export async function withClient<T>(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  database: string,
  fn: (client: pg.Client) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const client = new pg.Client(clientConfig(config, secrets, database));
  // Errors after connect (server restart, abort) arrive as events; the pending query rejects anyway.
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await connectOrThrow(client, config, database);
    return await fn(client);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

/**
 * A connected client for a session that outlives one function (the snapshot a dump runs in); the caller ends it.
 * Rejects as `withClient` does when the connection fails.
 */
export async function connectClient(config: PostgresConfig, secrets: PostgresSecrets, database: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(config, secrets, database));
  client.on('error', () => undefined);
  try {
    await connectOrThrow(client, config, database);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

async function connectOrThrow(client: pg.Client, config: PostgresConfig, database: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    // Unrecognised connect failures stay CONNECTION_FAILED (retried), as a network problem is their likeliest cause.
    throw new EngineError(classifyClientError(err) ?? 'CONNECTION_FAILED', `could not connect to ${describeServer(config)} (database "${database}", user "${config.user}"): ${pgErrorMessage(err)}`, {
      cause: err,
    });
  }
}

// In config.ts (the definition's risk text uses it too, without pulling in node-postgres); re-exported for the callers here.
export { describeServer };

/** A readable one-liner for a node-postgres or socket error (server messages already are readable). */
export function pgErrorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return pgErrorMessage(err.errors[0]);
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** SQLSTATE of a server error, e.g. `42P04` (duplicate_database); undefined for network/client errors. */
export function sqlState(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError ? err.code : undefined;
}
