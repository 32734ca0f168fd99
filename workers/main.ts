import os from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import { engineRegistry, type EngineRegistry } from '@/server/engines/registry';
import { NOTIFICATIONS_QUEUE, RUNS_QUEUE, SCHEDULES_QUEUE } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { notifyEnv } from '@/server/notifications/notify-env';
import { subscribeCancels } from '@/server/runs/cancel-channel';
import { disconnectDb } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';
import { dispatchJob, recurringTasks } from './jobs';
import { startRecurring } from './maintenance/recurring';
import { startInstanceStopper } from './restore/stop-instances';
import { activeRuns, HEARTBEAT_MS, stopRun } from './runner/execute-run';
import { catchUp } from './scheduler/catch-up';
import { FIRE_CONCURRENCY } from './scheduler/fire-batcher';
import { reconcileSlots } from './scheduler/reconcile-slots';
import { syncSchedulers } from './scheduler/sync-schedulers';
import { beat } from './scheduler/worker-heartbeat';
import { workerEnv } from './worker-env';

const WORKER_ENV = workerEnv();
const { LIFEBOAT_WORKER_CONCURRENCY: CONCURRENCY, LIFEBOAT_RUN_STALE_SECONDS: STALE_SECONDS, LIFEBOAT_SWEEP_MS: SWEEP_MS } = WORKER_ENV;
const SHUTDOWN_GRACE_MS = WORKER_ENV.LIFEBOAT_SHUTDOWN_GRACE_SECONDS * 1000;

const workerId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

/**
 * Starts this process's worker with `engines` (the production registry when run as `workers/main.ts`). The scheduler
 * bench starts it from bench/scheduler-worker.ts with an instant engine added, so that engine never ships.
 */
export async function startWorker(engines: EngineRegistry = engineRegistry): Promise<void> {
  // At least three heartbeats must fit in the stale window, or live runs would be reaped as dead.
  if (STALE_SECONDS * 1000 < 3 * HEARTBEAT_MS) {
    throw new Error(`LIFEBOAT_RUN_STALE_SECONDS (${STALE_SECONDS}) must be at least 3 heartbeats (${(3 * HEARTBEAT_MS) / 1000} s)`);
  }
  const publisher = redisConnection('publisher');
  // One subscriber per process for every run's cancel request: a cancel reaches the run within a round trip, not at
  // the next heartbeat (which stays the fallback). Subscribed before the worker takes jobs.
  const cancels = redisConnection('subscriber');
  cancels.on('error', (err: unknown) => logger.warn({ err }, 'cancel subscriber: redis error (reconnecting)'));
  await subscribeCancels(cancels, (runId) => {
    if (stopRun(runId, 'cancelled')) logger.info({ runId }, 'cancel request received; stopping the run');
  });
  // Stop requests for what a finished restore left running (a scratch Redis: POST /runs/{id}/stop) ride the same
  // subscriber: only this process holds the instances its restores started.
  const stopInstanceSweep = await startInstanceStopper({ workerId, engines, subscriber: cancels });

  // A BullMQ Worker fetches its jobs one round trip after another, each waiting for the event loop to come round; with
  // hundreds of runs in flight a burst of jobs (a minute boundary with a thousand scheduled sources) would reach its
  // runs one loop turn at a time. So the concurrency is split over a few Workers, each fetching in parallel with the
  // others (one per 32 runs, at most 16; a single Worker at the default concurrency).
  const fetchers = Math.min(16, Math.ceil(CONCURRENCY / 32));
  const runWorkers = Array.from({ length: fetchers }, (_, i) => {
    const w = new Worker(RUNS_QUEUE, (job: Job) => dispatchJob(job, { workerId, publisher, engines }), {
      connection: redisConnection('worker'),
      prefix: env().LIFEBOAT_QUEUE_PREFIX,
      concurrency: Math.floor(CONCURRENCY / fetchers) + (i < CONCURRENCY % fetchers ? 1 : 0),
      // The run row's heartbeat and the reaper decide retries; a stalled BullMQ job is not re-delivered.
      maxStalledCount: 0,
      // BullMQ renews the job lock every lockDuration/2; 60 s tolerates event-loop stalls during large streams.
      lockDuration: 60_000,
    });
    w.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'job failed'));
    w.on('error', (err) => logger.error({ err }, 'worker error'));
    return w;
  });
  // The catalog's schedules become job schedulers before this worker counts as running (its first heartbeat): a
  // Redis that lost them is healed at start, not at the first sweep. Then, before it takes any fire, the slots of an
  // outage are recorded and its one catch-up backup started, so a regular fire racing it cannot take its place (the
  // fire is then SKIPPED as an overlap). A failure here is retried by the sweep.
  await syncSchedulers().catch((err: unknown) => logger.error({ err }, 'scheduler: initial sync failed; the sweep retries'));
  await beat(workerId).catch((err: unknown) => logger.error({ err }, 'scheduler: heartbeat failed'));
  await reconcileSlots(SWEEP_MS)
    .then(() => catchUp())
    .catch((err: unknown) => logger.error({ err }, 'scheduler: initial reconcile failed; the sweep retries'));
  // Schedule fires on their own Worker, so they never wait behind the runs (server/jobs/contracts.ts). Hundreds at
  // once: a minute boundary with a thousand schedules is a burst of a thousand, recorded in a few batched
  // transactions (workers/scheduler/fire-batcher.ts), so a fire costs a promise while it waits for its batch.
  const fires = new Worker(SCHEDULES_QUEUE, (job: Job) => dispatchJob(job, { workerId, publisher, engines }), {
    connection: redisConnection('worker'),
    prefix: env().LIFEBOAT_QUEUE_PREFIX,
    concurrency: FIRE_CONCURRENCY,
  });
  fires.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'schedule fire failed'));
  fires.on('error', (err) => logger.error({ err }, 'schedules worker error'));
  // Notification deliveries on their own Worker too, so a message never waits behind a backup. Eight at once: each
  // is a short wait on a receiver (at most LIFEBOAT_NOTIFY_TIMEOUT_MS), and a burst of events fans out to channels.
  const notifications = new Worker(NOTIFICATIONS_QUEUE, (job: Job) => dispatchJob(job, { workerId, publisher, engines }), {
    connection: redisConnection('worker'),
    prefix: env().LIFEBOAT_QUEUE_PREFIX,
    concurrency: 8,
  });
  notifications.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'notification job failed'));
  notifications.on('error', (err) => logger.error({ err }, 'notifications worker error'));

  // Ticks at half the shortest period (the sweep's, or the notification scan's), so a task due every period never
  // skips a wall-clock bucket.
  const tickMs = Math.max(50, Math.min(SWEEP_MS, notifyEnv().LIFEBOAT_NOTIFY_SCAN_MS) / 2);
  const stopRecurring = startRecurring(recurringTasks(WORKER_ENV, workerId), tickMs);

  logger.info({ workerId, concurrency: CONCURRENCY, fetchers, queue: RUNS_QUEUE }, 'worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, active: activeRuns.size }, 'shutting down: no new jobs; waiting for running ones');
    stopRecurring();
    stopInstanceSweep();
    const grace = setTimeout(() => {
      for (const runId of activeRuns.keys()) {
        logger.warn({ runId }, 'grace period over; handing the run back to the queue');
        stopRun(runId, 'shutdown');
      }
    }, SHUTDOWN_GRACE_MS);
    try {
      await Promise.all([...runWorkers.map((w) => w.close()), fires.close(), notifications.close()]);
    } finally {
      clearTimeout(grace);
      // The last beat says until when this worker ran, so slots after it read "no worker was running".
      await beat(workerId).catch(() => undefined);
      await closeProducer().catch(() => undefined);
      publisher.disconnect();
      cancels.disconnect();
      await disconnectDb().catch(() => undefined);
      logger.info('worker stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Exits the process when the worker cannot start: a half-started worker would take no jobs and say nothing. */
export function startWorkerOrExit(engines?: EngineRegistry): void {
  startWorker(engines).catch((e: unknown) => {
    logger.fatal({ err: e }, 'worker failed to start');
    process.exit(1);
  });
}

// Run as the entry point (`tsx workers/main.ts`), not when imported by the bench's entry.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) startWorkerOrExit();
