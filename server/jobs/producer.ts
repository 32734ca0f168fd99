import { Queue } from 'bullmq';
import { env } from '@/server/shared/env';
import { redisConnection } from '@/server/shared/redis';
import { logger } from '@/server/shared/logger';
import {
  JobPayloads,
  NOTIFICATIONS_QUEUE,
  RUNS_QUEUE,
  SCHEDULES_QUEUE,
  notificationJobId,
  runJobId,
  type JobName,
  type JobPayload,
  type RunJobName,
} from './contracts';

const globalForQueue = globalThis as unknown as { lifeboatQueue?: Queue; lifeboatSchedules?: Queue; lifeboatNotifications?: Queue };

/** The only place that creates a BullMQ Queue. */
function runsQueue(): Queue {
  if (!globalForQueue.lifeboatQueue) {
    globalForQueue.lifeboatQueue = new Queue(RUNS_QUEUE, {
      connection: redisConnection('producer'),
      prefix: env().LIFEBOAT_QUEUE_PREFIX,
      defaultJobOptions: {
        // The run row decides retries (state machine + reaper); BullMQ only delivers.
        attempts: 1,
        // Keep a day of finished jobs for debugging, then let Redis forget them: the catalog keeps the history.
        removeOnComplete: { age: 86_400, count: 1000 },
        removeOnFail: { age: 86_400, count: 1000 },
      },
    });
  }
  return globalForQueue.lifeboatQueue;
}

/**
 * Enqueues a run's job after the transaction that created (or re-queued) the run has committed, under the run's
 * current job generation (`runJobId`). `delayMs` holds the job back (retry backoff).
 */
export async function enqueue<N extends RunJobName>(name: N, payload: JobPayload<N>, generation = 0, delayMs = 0): Promise<void> {
  const data = JobPayloads[name].parse(payload);
  await runsQueue().add(name, data, { jobId: runJobId((data as { runId: string }).runId, generation), ...(delayMs > 0 ? { delay: delayMs } : {}) });
}

/**
 * Enqueues the jobs of many committed runs in one round trip (Queue.addBulk): the scheduler's batched fires. Like
 * `enqueueCommitted`, a Redis failure is logged, not thrown: the runs stay QUEUED and the sweep enqueues them.
 */
export async function enqueueManyCommitted(jobs: ReadonlyArray<{ name: RunJobName; runId: string; generation: number }>): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await runsQueue().addBulk(
      jobs.map((j) => ({ name: j.name, data: JobPayloads[j.name].parse({ runId: j.runId }), opts: { jobId: runJobId(j.runId, j.generation) } })),
    );
  } catch (e) {
    logger.warn({ err: e, jobs: jobs.length }, 'bulk enqueue failed; the runs stay queued and will be picked up by the sweep');
  }
}

/** Whether the job of a run's generation is still to be delivered or under way (not missing, completed or failed). */
export async function runJobPending(runId: string, generation: number): Promise<boolean> {
  const job = await runsQueue().getJob(runJobId(runId, generation));
  if (!job) return false;
  const state = await job.getState();
  return state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children';
}

/**
 * Enqueues a job that is not a run (no run row, so no `runId` to derive an id from) under an explicit job id.
 * BullMQ ignores an add whose id it still holds, which is how several workers enqueue the same periodic job once.
 */
export async function enqueueJob<N extends JobName>(
  name: N,
  payload: JobPayload<N>,
  jobId: string,
  retry?: { attempts: number; backoffMs: number },
): Promise<void> {
  const data = JobPayloads[name].parse(payload);
  await runsQueue().add(name, data, {
    jobId,
    ...(retry ? { attempts: retry.attempts, backoff: { type: 'exponential', delay: retry.backoffMs } } : {}),
  });
}

/**
 * Enqueue for a run that is already committed. A Redis failure here must not turn an accepted request into an
 * error: the run stays QUEUED and the workers' sweep re-enqueues it (workers/maintenance/reap-stale-runs.ts).
 */
export async function enqueueCommitted<N extends RunJobName>(name: N, payload: JobPayload<N>, generation = 0, delayMs = 0): Promise<void> {
  try {
    await enqueue(name, payload, generation, delayMs);
  } catch (e) {
    logger.warn({ err: e, job: name, payload }, 'enqueue failed; the run stays queued and will be picked up by the sweep');
  }
}

/**
 * The job schedulers of the schedules queue, for the workers' scheduler (workers/scheduler/sync-schedulers.ts): the
 * web process never calls this. The fire jobs carry their own retention (sync-schedulers.ts).
 */
export function jobSchedulers(): Pick<Queue, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'> {
  globalForQueue.lifeboatSchedules ??= new Queue(SCHEDULES_QUEUE, { connection: redisConnection('producer'), prefix: env().LIFEBOAT_QUEUE_PREFIX });
  return globalForQueue.lifeboatSchedules;
}

function notificationsQueue(): Queue {
  globalForQueue.lifeboatNotifications ??= new Queue(NOTIFICATIONS_QUEUE, {
    connection: redisConnection('producer'),
    prefix: env().LIFEBOAT_QUEUE_PREFIX,
    defaultJobOptions: {
      // One job per attempt: the delivery row counts attempts and the handler enqueues the next one with its backoff.
      attempts: 1,
      // As the runs queue: a day of finished jobs for debugging; the delivery row keeps the history.
      removeOnComplete: { age: 86_400, count: 1000 },
      removeOnFail: { age: 86_400, count: 1000 },
    },
  });
  return globalForQueue.lifeboatNotifications;
}

/**
 * Enqueues one attempt at a committed notification delivery, under `notificationJobId` (so duplicate enqueues of
 * one attempt stay one job), after `delayMs` (the retry backoff).
 */
export async function enqueueNotification(deliveryId: string, attempt: number, delayMs = 0): Promise<void> {
  const data = JobPayloads['notify.deliver'].parse({ deliveryId, attempt });
  await notificationsQueue().add('notify.deliver', data, { jobId: notificationJobId(deliveryId, attempt), ...(delayMs > 0 ? { delay: delayMs } : {}) });
}

/** The BullMQ state of one attempt's job ('missing' when Redis does not hold it), for the delivery sweep. */
export async function notificationJobState(deliveryId: string, attempt: number): Promise<string> {
  const job = await notificationsQueue().getJob(notificationJobId(deliveryId, attempt));
  return job ? await job.getState() : 'missing';
}

/**
 * Removes a finished (completed or failed) job of one attempt, so the sweep can enqueue that attempt again under its
 * id: BullMQ silently ignores an add whose id it still holds (finished jobs for a day).
 */
export async function removeFinishedNotificationJob(deliveryId: string, attempt: number): Promise<void> {
  const job = await notificationsQueue().getJob(notificationJobId(deliveryId, attempt));
  if (!job) return;
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') await job.remove();
}

export async function closeProducer(): Promise<void> {
  await globalForQueue.lifeboatQueue?.close();
  globalForQueue.lifeboatQueue = undefined;
  await globalForQueue.lifeboatSchedules?.close();
  globalForQueue.lifeboatSchedules = undefined;
  await globalForQueue.lifeboatNotifications?.close();
  globalForQueue.lifeboatNotifications = undefined;
}
