import { Redis } from 'ioredis';

import { EngineError } from '../engine';
import { classifyRedisFailure } from './cli';
import { describeServer } from './config';

export interface RedisEndpoint {
  host: string;
  port: number;
  tls?: boolean;
  username?: string;
  password?: string;
  db?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One connection, no retries, no offline queue: a server that is down or refuses the password answers at once with a
 * readable EngineError (CONNECTION_FAILED / AUTH_FAILED …) instead of ioredis reconnecting forever.
 */
export async function connectRedis(endpoint: RedisEndpoint, signal?: AbortSignal): Promise<Redis> {
  const client = new Redis({
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.username !== undefined && { username: endpoint.username }),
    ...(endpoint.password !== undefined && endpoint.password !== '' && { password: endpoint.password }),
    ...(endpoint.tls && { tls: { servername: endpoint.host } }),
    db: endpoint.db ?? 0,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableReadyCheck: false,
  });
  // The socket's or the handshake's own error (WRONGPASS, ECONNREFUSED): connect() itself often rejects with only
  // "Connection is closed." afterwards. Without a listener ioredis would log them.
  let lastError: unknown;
  client.on('error', (err: unknown) => {
    lastError ??= err;
  });
  const onAbort = () => client.disconnect();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.disconnect();
    if (signal?.aborted) throw new EngineError('CANCELLED', 'cancelled while connecting to Redis');
    throw redisError(lastError ?? err, endpoint);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export async function withRedis<T>(endpoint: RedisEndpoint, fn: (client: Redis) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const client = await connectRedis(endpoint, signal);
  try {
    return await fn(client);
  } catch (err) {
    throw redisError(err, endpoint);
  } finally {
    client.disconnect();
  }
}

/** An ioredis/socket error as an EngineError naming the server; never the password. */
export function redisError(err: unknown, endpoint: { host: string; port: number }): EngineError {
  if (err instanceof EngineError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const code = classifyRedisFailure(raw);
  const where = describeServer(endpoint);
  const message =
    code === 'AUTH_FAILED'
      ? `Redis at ${where} refused the login: ${raw}`
      : code === 'CONNECTION_FAILED'
        ? `cannot reach Redis at ${where}: ${raw}`
        : `Redis at ${where}: ${raw}`;
  return new EngineError(code, message, { cause: err });
}

/** `INFO` text as a map of its `key:value` lines. */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

/** Databases that hold keys, from `INFO keyspace` (`db0:keys=12,expires=3,avg_ttl=0`). */
export function keyspace(text: string): Map<number, number> {
  const dbs = new Map<number, number>();
  for (const [key, value] of parseInfo(text)) {
    const m = /^db(\d+)$/.exec(key);
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    if (m && keys) dbs.set(Number(m[1]), Number(keys[1]));
  }
  return dbs;
}
