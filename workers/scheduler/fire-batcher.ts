import { Batcher } from '@/server/shared/batcher';
import { logger } from '@/server/shared/logger';
import { fireSlots, type FireOutcome, type FireRequest } from './fire-slot';

/**
 * How many `schedule.fire` jobs the schedules Worker holds at once (workers/main.ts). A fire only waits for its
 * batch, so the Worker takes a minute boundary's burst in whole; its handlers cost a promise each until the batch
 * is written. BullMQ renews each active job's lock, which stays far below its lock duration at this size.
 */
export const FIRE_CONCURRENCY = 512;
// The most fires one transaction records. The slot rows and runs are one insert each whatever the size, but every
// run's audit event is its own append under the audit chain's global lock (server/audit/record-audit.ts), held
// until the commit: fifty appends keep that hold far below the 5 s in which a run's finish transaction, queued
// behind it for the same lock, would time out, even on a loaded machine.
const MAX_BATCH = 50;
// How long the first fire of a quiet spell waits for others: BullMQ hands a burst's jobs over within milliseconds,
// and a lone fire (an hourly schedule) is delayed by no more than this.
const LINGER_MS = 5;

/**
 * Collects the per-(source, schedule) fires this process receives and records them in batches (`fireSlots`, see
 * server/shared/batcher.ts). Such fires come from the job schedulers of versions before pattern schedulers
 * (sync-schedulers.ts) and from tests; a pattern's fire records its schedules itself (fire-pattern.ts). A failed
 * batch rejects its fires, and BullMQ retries them: the unique slot row makes a retry harmless.
 */
export class FireBatcher extends Batcher<FireRequest, FireOutcome> {
  constructor(fire: (requests: FireRequest[]) => Promise<FireOutcome[]>, maxBatch = MAX_BATCH, lingerMs = LINGER_MS) {
    super(fire, { maxBatch, lingerMs, onError: (err, fires) => logger.warn({ err, fires }, 'scheduler: a batch of fires failed; BullMQ retries them') });
  }
}

let batcher: FireBatcher | undefined;

/** This process's batcher, over `fireSlots` with the worker's sweep period. */
export function submitFire(request: FireRequest, opts: { sweepMs: number }): Promise<FireOutcome> {
  batcher ??= new FireBatcher((requests) => fireSlots(requests, opts));
  return batcher.submit(request);
}
