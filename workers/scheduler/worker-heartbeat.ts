import { db, type Tx } from '@/server/shared/db';
import { env } from '@/server/shared/env';

// Heartbeat rows are kept a day longer than the reconciler looks back (RECONCILE_LOOKBACK_MS), so every slot it can
// still record has the evidence of whether a worker was running.
const KEEP_MS = 8 * 86_400_000;

/**
 * Records that this worker is alive now (one row per process start, `startedAt` fixed at its first beat, which the
 * worker writes once its job schedulers are in place), under the queue namespace it serves: workers of another
 * LIFEBOAT_QUEUE_PREFIX sharing the catalog take none of this namespace's jobs, so they are no evidence for its slots.
 * Also forgets rows nobody can need any more.
 */
export async function beat(workerId: string, now = new Date()): Promise<void> {
  await db().workerHeartbeat.upsert({
    where: { workerId },
    create: { workerId, queuePrefix: env().LIFEBOAT_QUEUE_PREFIX, startedAt: now, lastSeenAt: now },
    update: { lastSeenAt: now },
  });
  await db().workerHeartbeat.deleteMany({ where: { lastSeenAt: { lt: new Date(now.getTime() - KEEP_MS) } } });
}

/**
 * The intervals during which some worker was alive, overlapping [from, to]: each row covers [startedAt, lastSeenAt +
 * toleranceMs], the tolerance being how long a live worker may go between beats (its sweep period, and some).
 * Only workers of this process's queue namespace count.
 */
export async function liveIntervals(tx: Tx, from: Date, to: Date, toleranceMs: number): Promise<Array<[number, number]>> {
  const rows = await tx.workerHeartbeat.findMany({
    where: { queuePrefix: env().LIFEBOAT_QUEUE_PREFIX, startedAt: { lte: to }, lastSeenAt: { gte: new Date(from.getTime() - toleranceMs) } },
    select: { startedAt: true, lastSeenAt: true },
  });
  return rows.map((r) => [r.startedAt.getTime(), r.lastSeenAt.getTime() + toleranceMs]);
}

export const covered = (intervals: ReadonlyArray<[number, number]>, at: Date): boolean =>
  intervals.some(([a, b]) => a <= at.getTime() && at.getTime() <= b);
