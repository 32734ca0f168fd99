import os from 'node:os';
import crypto from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import { RUNS_QUEUE, parseJob, type RunJobName } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { disconnectDb } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';
import { runBackup } from './backup/run-backup';
import { runRestore } from './restore/run-restore';
import { runVerify } from './verify/run-verify';
import { sweepRuns } from './maintenance/reap-stale-runs';
import { createPruneScheduler, handlePruneJob } from './maintenance/prune-retention';
import { retryStaleCopies } from './maintenance/retry-copies';
import { handleCopyJob } from './copies/run-copy';
import { activeRuns, executeRun, HEARTBEAT_MS, type RunHandler, type StopReason } from './runner/execute-run';
import { workerEnv } from './worker-env';

const {
  LIFEBOAT_WORKER_CONCURRENCY: CONCURRENCY,
  LIFEBOAT_RUN_STALE_SECONDS: STALE_SECONDS,
  LIFEBOAT_SWEEP_MS: SWEEP_MS,
  LIFEBOAT_PRUNE_INTERVAL_SECONDS: PRUNE_INTERVAL_SECONDS,
  LIFEBOAT_COPY_RETRY_IDLE_SECONDS: COPY_RETRY_IDLE_SECONDS,
} = workerEnv();
const SHUTDOWN_GRACE_MS = workerEnv().LIFEBOAT_SHUTDOWN_GRACE_SECONDS * 1000;

const HANDLERS: Record<RunJobName, RunHandler> = {
  'backup.run': runBackup,
  'restore.run': runRestore,
  'verify.run': runVerify,
};

const workerId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

async function main(): Promise<void> {
  // At least three heartbeats must fit in the stale window, or live runs would be reaped as dead.
  if (STALE_SECONDS * 1000 < 3 * HEARTBEAT_MS) {
    throw new Error(`LIFEBOAT_RUN_STALE_SECONDS (${STALE_SECONDS}) must be at least 3 heartbeats (${(3 * HEARTBEAT_MS) / 1000} s)`);
  }
  const publisher = redisConnection('publisher');
  const worker = new Worker(
    RUNS_QUEUE,
    async (job: Job) => {
      // Prune jobs are not runs: no run row to claim, so they bypass executeRun.
      if (job.name === 'retention.prune') {
        await handlePruneJob(job.data);
        return;
      }
      // Copy jobs are not runs either: the copy row is claimed on its own, and BullMQ retries them with backoff.
      if (job.name === 'copy.run') {
        await handleCopyJob(job.data, workerId);
        return;
      }
      const name = job.name as RunJobName;
      const handler = HANDLERS[name];
      if (!handler) throw new Error(`unknown job ${job.name}`);
      const { runId } = parseJob(name, job.data);
      await executeRun(runId, workerId, publisher, handler);
    },
    {
      connection: redisConnection('worker'),
      prefix: env().LIFEBOAT_QUEUE_PREFIX,
      concurrency: CONCURRENCY,
      // The run row's heartbeat and the reaper decide retries; a stalled BullMQ job is not re-delivered.
      maxStalledCount: 0,
      // BullMQ renews the job lock every lockDuration/2; 60 s tolerates event-loop stalls during large streams.
      lockDuration: 60_000,
    },
  );
  worker.on('failed', (job, err) => logger.warn({ jobId: job?.id, err: err.message }, 'job failed'));
  worker.on('error', (err) => logger.error({ err }, 'worker error'));

  let sweeping = false;
  const schedulePrunes = PRUNE_INTERVAL_SECONDS > 0 ? createPruneScheduler(PRUNE_INTERVAL_SECONDS) : async () => undefined;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweepRuns(STALE_SECONDS)
      .then(() => schedulePrunes())
      .then(() => retryStaleCopies(COPY_RETRY_IDLE_SECONDS))
      .catch((e: unknown) => logger.error({ err: e }, 'sweep failed'))
      .finally(() => (sweeping = false));
  }, SWEEP_MS);

  logger.info({ workerId, concurrency: CONCURRENCY, queue: RUNS_QUEUE }, 'worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, active: activeRuns.size }, 'shutting down: no new jobs; waiting for running ones');
    clearInterval(sweep);
    const grace = setTimeout(() => {
      for (const [runId, controller] of activeRuns) {
        logger.warn({ runId }, 'grace period over; handing the run back to the queue');
        (controller as AbortController & { stopWith?: (r: StopReason) => void }).stopWith?.('shutdown');
      }
    }, SHUTDOWN_GRACE_MS);
    try {
      await worker.close();
    } finally {
      clearTimeout(grace);
      await closeProducer().catch(() => undefined);
      publisher.disconnect();
      await disconnectDb().catch(() => undefined);
      logger.info('worker stopped');
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  logger.fatal({ err: e }, 'worker failed to start');
  process.exit(1);
});
