import { Redis, type RedisOptions } from 'ioredis';
import { env } from './env';

/**
 * Redis connections per role. BullMQ workers need maxRetriesPerRequest=null (blocking commands must not time out);
 * producers and publishers give up after two retries so an HTTP request never hangs on a dead Redis.
 */
export function redisConnection(role: 'producer' | 'worker' | 'publisher' | 'subscriber'): Redis {
  const base: RedisOptions = { lazyConnect: false, enableReadyCheck: true };
  const opts: RedisOptions =
    role === 'worker' || role === 'subscriber'
      ? { ...base, maxRetriesPerRequest: null }
      : { ...base, maxRetriesPerRequest: 2 };
  return new Redis(env().REDIS_URL, opts);
}
