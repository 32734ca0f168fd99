import { enqueueJob } from '@/server/jobs/producer';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';

// Five deliveries per enqueue, LIFEBOAT_COPY_BACKOFF_MS × 2^n apart (server/shared/env.ts): rides out a short outage
// of the copy destination. The sweep re-enqueues after that, up to COPY_MAX_ATTEMPTS claims in all.
const COPY_JOB_ATTEMPTS = 5;
/** Claims a copy may use in all (across BullMQ retries and sweeps) before it stays COPY_FAILED for an operator. */
export const COPY_MAX_ATTEMPTS = 10;

/** The state of a copy row a `copy.run` job is enqueued for. */
export interface CopyArming {
  id: string;
  /** The row's `jobGeneration`: bumped whenever the copy is re-armed (attempts reset). */
  jobGeneration: number;
  attempts: number;
}

/**
 * The BullMQ job id for a copy in this state. `attempts` alone repeats once a re-arming resets it to 0, and BullMQ
 * silently ignores an add whose id it still holds (finished jobs for a day): the generation keeps each arming's ids
 * apart. Within one arming, attempts only grow, so a sweep after a batch of failed deliveries is a new job while
 * duplicate enqueues of the same state stay one.
 */
export const copyJobId = (copy: CopyArming): string => `copy-${copy.id}-g${copy.jobGeneration}-a${copy.attempts}`;

/**
 * Enqueues `copy.run` for a committed copy row, under `copyJobId`. A Redis failure is logged: the row stays
 * COPY_PENDING (or COPY_FAILED) and the sweep enqueues it later.
 */
export async function enqueueCopy(copy: CopyArming): Promise<void> {
  try {
    await enqueueJob('copy.run', { copyId: copy.id }, copyJobId(copy), { attempts: COPY_JOB_ATTEMPTS, backoffMs: env().LIFEBOAT_COPY_BACKOFF_MS });
  } catch (e) {
    logger.warn({ err: e, copyId: copy.id }, 'enqueue of copy failed; the sweep will pick it up');
  }
}
