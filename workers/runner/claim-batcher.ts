import { claimRuns, type ClaimedRun } from '@/server/runs/transitions';
import { Batcher } from '@/server/shared/batcher';

// A burst of run jobs (a minute boundary of many schedules) is claimed a few hundred per statement; a lone job waits
// at most a millisecond for company.
const MAX_BATCH = 200;
const LINGER_MS = 1;

const batchers = new Map<string, Batcher<string, ClaimedRun | null>>();

/**
 * Claims a run for `workerId` (QUEUED → RUNNING, `claimRuns`), batched with the claims this process makes at the
 * same moment: with many run jobs delivered at once, the claims are a few statements instead of one each, and the
 * last of a burst is not claimed behind the catalog work of the runs claimed before it. A failed batch rejects each
 * of its claims (the job fails and BullMQ's attempt or the orphan sweep re-delivers it).
 */
export function claimRunBatched(runId: string, workerId: string): Promise<ClaimedRun | null> {
  let batcher = batchers.get(workerId);
  if (!batcher) {
    batcher = new Batcher((ids) => claimRuns(ids, workerId), { maxBatch: MAX_BATCH, lingerMs: LINGER_MS });
    batchers.set(workerId, batcher);
  }
  return batcher.submit(runId);
}
