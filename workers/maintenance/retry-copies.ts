import { COPY_MAX_ATTEMPTS, enqueueCopy } from '@/server/copies/enqueue-copy';
import { db } from '@/server/shared/db';

/**
 * Re-enqueues copies that are still COPY_PENDING or COPY_FAILED, untouched for `idleSeconds`, with attempts left and
 * no live lease: their job was lost or spent its BullMQ retries. Never re-runs a backup. A copy whose point has
 * nothing left to copy from (primary pruned, no OK copy) is not retried: it would only fail again.
 */
export async function retryStaleCopies(idleSeconds: number, now = new Date()): Promise<string[]> {
  const copies = await db().recoveryPointCopy.findMany({
    where: {
      status: { in: ['COPY_PENDING', 'COPY_FAILED'] },
      attempts: { lt: COPY_MAX_ATTEMPTS },
      updatedAt: { lt: new Date(now.getTime() - idleSeconds * 1000) },
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      // Something left to copy from: the primary, or (once retention pruned it) another OK copy.
      recoveryPoint: { OR: [{ primaryDeletedAt: null }, { copies: { some: { status: 'COPY_OK' } } }] },
    },
    select: { id: true, jobGeneration: true, attempts: true },
    // A bounded batch per sweep; the next sweep takes the rest.
    take: 100,
  });
  for (const copy of copies) await enqueueCopy(copy);
  return copies.map((c) => c.id);
}
