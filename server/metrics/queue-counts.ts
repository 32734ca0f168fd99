import { QueueGetters, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { RUNS_QUEUE } from '@/server/jobs/contracts';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';
import { QUEUE_STATES, type QueueState } from './definitions';

// A scrape must answer the catalog's figures even when Redis does not: 2 s is far above a healthy count's few
// milliseconds and well inside Prometheus' default 10 s scrape timeout.
const COUNT_TIMEOUT_MS = 2_000;

// Kept on globalThis like the producer's queue (Next.js dev reloads modules): one connection per web process.
const globalForCounts = globalThis as unknown as { lifeboatQueueGetters?: { getters: QueueGetters; redis: Redis } };

/**
 * BullMQ's read-only view of the runs queue. Not a `Queue`: it cannot add jobs, so server/jobs/producer.ts stays the
 * only module that produces; the web process only counts what is there.
 */
function runsQueueGetters(): QueueGetters {
  if (!globalForCounts.lifeboatQueueGetters) {
    const redis = redisConnection('producer');
    // QueueOptions: the Redis backend reads `prefix` (the producer's namespace), which QueueGetters' type leaves out.
    const opts: QueueOptions = { connection: redis, prefix: env().LIFEBOAT_QUEUE_PREFIX };
    const getters = new QueueGetters(RUNS_QUEUE, opts);
    // A lost connection is reported by the failing count below; an 'error' event without a listener would throw.
    getters.on('error', (e: unknown) => logger.debug({ err: e }, 'metrics: runs queue connection error'));
    redis.on('error', (e: unknown) => logger.debug({ err: e }, 'metrics: Redis connection error'));
    globalForCounts.lifeboatQueueGetters = { getters, redis };
  }
  return globalForCounts.lifeboatQueueGetters.getters;
}

/** Jobs of the runs queue per state; null when Redis does not answer in time (the scrape then omits the series). */
export async function runsQueueCounts(): Promise<Record<QueueState, number> | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const counts = await Promise.race([
      runsQueueGetters().getJobCounts(...QUEUE_STATES),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${COUNT_TIMEOUT_MS} ms`)), COUNT_TIMEOUT_MS);
      }),
    ]);
    return Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s] ?? 0])) as Record<QueueState, number>;
  } catch (e) {
    logger.warn({ err: e }, 'metrics: could not count the runs queue; lifeboat_queue_jobs left out of this scrape');
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the queue view's connection (tests, shutdown). */
export async function closeQueueCounts(): Promise<void> {
  const open = globalForCounts.lifeboatQueueGetters;
  globalForCounts.lifeboatQueueGetters = undefined;
  if (!open) return;
  await open.getters.close();
  // BullMQ leaves a connection it was handed open (shared): it is ours to end.
  await open.redis.quit().catch(() => open.redis.disconnect());
}
