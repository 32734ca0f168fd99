import { enqueueJob } from '@/server/jobs/producer';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';

// Five deliveries per enqueue, LIFEBOAT_COPY_BACKOFF_MS × 2^n apart (server/shared/env.ts): rides out a short outage
// of the copy destination. The sweep re-enqueues after that, up to COPY_MAX_ATTEMPTS claims in all.
const COPY_JOB_ATTEMPTS = 5;
/** Claims a copy may use in all (across BullMQ retries and sweeps) before it stays COPY_FAILED for an operator. */
export const COPY_MAX_ATTEMPTS = 10;

/**
 * Enqueues `copy.run` for a committed copy row. The job id carries the row's attempt count, so a sweep after a
 * batch of failed deliveries is a new job while duplicate enqueues of the same state are ignored by BullMQ.
 * `round` names a re-making of a copy whose attempts were reset (`remake-<verify run id>`): without it the job id
 * would be the first making's, which BullMQ still holds for a day and would ignore.
 * A Redis failure is logged: the row stays COPY_PENDING (or COPY_FAILED) and the sweep enqueues it later.
 */
export async function enqueueCopy(copyId: string, attempts: number, round?: string): Promise<void> {
  const jobId = round === undefined ? `copy-${copyId}-a${attempts}` : `copy-${copyId}-${round}-a${attempts}`;
  try {
    await enqueueJob('copy.run', { copyId }, jobId, { attempts: COPY_JOB_ATTEMPTS, backoffMs: env().LIFEBOAT_COPY_BACKOFF_MS });
  } catch (e) {
    logger.warn({ err: e, copyId }, 'enqueue of copy failed; the sweep will pick it up');
  }
}
