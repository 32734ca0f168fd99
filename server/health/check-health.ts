import { db } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import type { Redis } from 'ioredis';

let redis: Redis | undefined;

/** Liveness of the catalog and the queue transport; public, so it says nothing else. */
export async function checkHealth() {
  const [database, queue] = await Promise.all([
    db()
      .$queryRaw`SELECT 1`.then(() => 'ok' as const)
      .catch(() => 'down' as const),
    (async () => {
      redis ??= redisConnection('publisher');
      return (await redis.ping()) === 'PONG' ? ('ok' as const) : ('down' as const);
    })().catch(() => 'down' as const),
  ]);
  const ok = database === 'ok' && queue === 'ok';
  return { status: ok ? 'ok' : 'degraded', checks: { database, queue }, time: new Date().toISOString() };
}
