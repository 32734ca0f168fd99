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

interface Pending {
  request: FireRequest;
  resolve: (o: FireOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects the fires this process receives and records them in batches (`fireSlots`): one batch at a time per
 * process; fires arriving while one is written wait for the next, so a burst makes few large transactions and a
 * quiet minute makes one small one. Each fire's promise settles with its own outcome, or its batch's error (then
 * BullMQ retries that fire: the unique slot row makes a retry harmless).
 */
export class FireBatcher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly fire: (requests: FireRequest[]) => Promise<FireOutcome[]>,
    private readonly maxBatch = MAX_BATCH,
    private readonly lingerMs = LINGER_MS,
  ) {}

  submit(request: FireRequest): Promise<FireOutcome> {
    return new Promise<FireOutcome>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      if (this.flushing) return;
      if (this.pending.length >= this.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const outcomes = await this.fire(batch.map((p) => p.request));
          batch.forEach((p, i) => p.resolve(outcomes[i]!));
        } catch (e) {
          logger.warn({ err: e, fires: batch.length }, 'scheduler: a batch of fires failed; BullMQ retries them');
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

let batcher: FireBatcher | undefined;

/** This process's batcher, over `fireSlots` with the worker's sweep period. */
export function submitFire(request: FireRequest, opts: { sweepMs: number }): Promise<FireOutcome> {
  batcher ??= new FireBatcher((requests) => fireSlots(requests, opts));
  return batcher.submit(request);
}
