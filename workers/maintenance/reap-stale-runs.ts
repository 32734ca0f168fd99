import { enqueue, runJobPending } from '@/server/jobs/producer';
import { logger } from '@/server/shared/logger';
import { RUN_KINDS } from '@/server/runs/run-kinds';
import { bumpJobGeneration, findOrphanedQueuedRuns, reapStaleRuns } from '@/server/runs/transitions';

/**
 * One sweep: re-queue or fail runs whose worker died, and re-enqueue queued runs whose job vanished. A queued run
 * untouched for `orphanQueuedSeconds` (LIFEBOAT_ORPHAN_QUEUED_SECONDS) may have lost its job (enqueue failed after
 * commit, or Redis lost it); its job is looked up before anything is re-enqueued, so a run merely waiting behind a
 * long backlog keeps its place.
 */
export async function sweepRuns(staleSeconds: number, orphanQueuedSeconds = 30): Promise<void> {
  const reaped = await reapStaleRuns(staleSeconds);
  for (const run of reaped.requeued) {
    logger.warn({ runId: run.id, attempt: run.attempt }, 'worker lost; run re-queued');
    await enqueue(RUN_KINDS[run.kind].jobName, { runId: run.id }, run.jobGeneration);
  }
  for (const id of reaped.failed) logger.warn({ runId: id }, 'worker lost; run failed (no attempts left)');
  for (const run of await findOrphanedQueuedRuns(orphanQueuedSeconds)) {
    if (await runJobPending(run.id, run.jobGeneration)) continue;
    // The job of this generation is gone, or finished without running the run (completed, failed): its id may still
    // be held by BullMQ for a day, so the run moves to the next generation, and only the sweep that moved it enqueues.
    const generation = await bumpJobGeneration(run.id, run.jobGeneration);
    if (generation === null) continue;
    logger.warn({ runId: run.id, generation }, 'queued run had lost its job; re-enqueued');
    await enqueue(RUN_KINDS[run.kind].jobName, { runId: run.id }, generation);
  }
}
