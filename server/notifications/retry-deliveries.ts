import { enqueueNotification, notificationJobState, removeFinishedNotificationJob } from '@/server/jobs/producer';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';

// A delivery younger than this still has its first job coming (the scan enqueues right after its commit).
const GRACE_MS = 30_000;
const PENDING_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Re-enqueues PENDING deliveries whose job Redis no longer holds (a restart without persistence, a FLUSHALL, an
 * enqueue that failed after commit, a worker that died mid-attempt). A row's next job is `attempts` (and while an
 * attempt runs, the previous one is active): when neither is waiting, delayed or active, the next attempt is
 * enqueued under its usual id, so several workers sweeping at once still make one job.
 */
export async function retryLostDeliveries(now = new Date()): Promise<string[]> {
  const rows = await db().notificationDelivery.findMany({
    where: { status: 'PENDING', createdAt: { lt: new Date(now.getTime() - GRACE_MS) } },
    select: { id: true, attempts: true },
    orderBy: { createdAt: 'asc' },
    // A bounded batch per sweep (two Redis lookups each); the next sweep takes the rest.
    take: 100,
  });
  const requeued: string[] = [];
  for (const row of rows) {
    const next = await notificationJobState(row.id, row.attempts);
    if (PENDING_STATES.has(next)) continue;
    if (row.attempts > 0 && PENDING_STATES.has(await notificationJobState(row.id, row.attempts - 1))) continue;
    // A job of this attempt that finished without claiming the row (it failed before its claim, e.g. the catalog was
    // unreachable) still holds the id.
    if (next === 'completed' || next === 'failed') await removeFinishedNotificationJob(row.id, row.attempts);
    await enqueueNotification(row.id, row.attempts);
    requeued.push(row.id);
  }
  if (requeued.length > 0) logger.info({ deliveries: requeued.length }, 'notification deliveries re-enqueued (their jobs were lost)');
  return requeued;
}
