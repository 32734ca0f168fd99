import { enqueue } from '@/server/jobs/producer';
import { jobNameForRunKind } from '@/server/jobs/contracts';
import { logger } from '@/server/shared/logger';
import { findOrphanedQueuedRuns, reapStaleRuns } from '@/server/runs/transitions';

// A queued run untouched for 2 minutes has lost its job (enqueue failed after commit, or Redis lost it).
const ORPHAN_QUEUED_SECONDS = 120;

/** One sweep: re-queue or fail runs whose worker died, and re-enqueue queued runs whose job vanished. */
export async function sweepRuns(staleSeconds: number): Promise<void> {
  const reaped = await reapStaleRuns(staleSeconds);
  for (const run of reaped.requeued) {
    logger.warn({ runId: run.id, attempt: run.attempt }, 'worker lost; run re-queued');
    await enqueue(jobNameForRunKind(run.kind), { runId: run.id }, run.attempt);
  }
  for (const id of reaped.failed) logger.warn({ runId: id }, 'worker lost; run failed (no attempts left)');
  for (const run of await findOrphanedQueuedRuns(ORPHAN_QUEUED_SECONDS)) {
    // Same job id as the original enqueue: BullMQ ignores it if that job still exists.
    await enqueue(jobNameForRunKind(run.kind), { runId: run.id }, run.attempt);
  }
}
