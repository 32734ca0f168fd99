import { claimRuns, finishRuns, type ClaimedRun, type FinishInput } from '@/server/runs/transitions';
import { Batcher } from '@/server/shared/batcher';

// A burst of run jobs (a minute boundary of many schedules) is claimed a few hundred per statement; a lone job waits
// at most a millisecond for company.
const MAX_CLAIMS = 200;
// Finishes share one transaction: fifty runs' rows and points, and one audit append. Few enough that a batch's
// transaction stays short while other writers wait for the audit chain's lock.
const MAX_FINISHES = 50;
const LINGER_MS = 1;

const claims = new Map<string, Batcher<string, ClaimedRun | null>>();
let finishes: Batcher<{ runId: string; workerId: string; input: FinishInput }, { cancelRequested: boolean } | Error> | undefined;

/**
 * Claims a run for `workerId` (QUEUED → RUNNING, `claimRuns`), batched with the claims this process makes at the
 * same moment: with many run jobs delivered at once, the claims are a few statements instead of one each, and the
 * last of a burst is not claimed behind the catalog work of the runs claimed before it. A failed batch rejects each
 * of its claims (the job fails and the orphan sweep re-delivers the still QUEUED run).
 */
export function claimRunBatched(runId: string, workerId: string): Promise<ClaimedRun | null> {
  let batcher = claims.get(workerId);
  if (!batcher) {
    batcher = new Batcher((ids) => claimRuns(ids, workerId), { maxBatch: MAX_CLAIMS, lingerMs: LINGER_MS });
    claims.set(workerId, batcher);
  }
  return batcher.submit(runId);
}

/**
 * Ends a run (`finishRun`), in one transaction with the other runs this process finishes at the same moment
 * (`finishRuns`: one audit append and one commit for the lot; a batch that fails is retried run by run). Rejects like
 * `finishRun`: with the run's own error (no longer owned, its `onCommit` failed).
 */
export async function finishRunBatched(runId: string, workerId: string, input: FinishInput): Promise<{ cancelRequested: boolean }> {
  finishes ??= new Batcher((requests) => finishRuns(requests), { maxBatch: MAX_FINISHES, lingerMs: LINGER_MS });
  const outcome = await finishes.submit({ runId, workerId, input });
  if (outcome instanceof Error) throw outcome;
  return outcome;
}
