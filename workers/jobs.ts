import type { Redis } from 'ioredis';
import { expireRestoreRequests } from '@/server/approvals/expire-restore-requests';
import { UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import { JobPayloads, type JobName, type JobPayload, type RunJobName, type TaskJobName } from '@/server/jobs/contracts';
import type { EngineRegistry } from '@/server/engines/registry';
import { RUN_KINDS, type RunKind } from '@/server/runs/run-kinds';
import type { ClaimedRun } from '@/server/runs/transitions';
import { runBackup } from './backup/run-backup';
import { runRestore } from './restore/run-restore';
import { runVerify } from './verify/run-verify';
import { handleCopyJob } from './copies/run-copy';
import { handlePruneJob, enqueueDuePrunes } from './maintenance/prune-retention';
import { sweepRuns } from './maintenance/reap-stale-runs';
import { retryStaleCopies } from './maintenance/retry-copies';
import type { FiredJob } from './scheduler/fire-slot';
import { submitFire } from './scheduler/fire-batcher';
import { firePattern } from './scheduler/fire-pattern';
import { schedulerSweep } from './scheduler/scheduler-sweep';
import { beat } from './scheduler/worker-heartbeat';
import { runAuditCheck } from '@/server/audit/daily-audit-check';
import { deliverNotification } from '@/server/notifications/deliver';
import { notifyEnv } from '@/server/notifications/notify-env';
import { retryLostDeliveries } from '@/server/notifications/retry-deliveries';
import { scanNotifications, scanRpo } from '@/server/notifications/scan';
import type { RecurringTask } from './maintenance/recurring';
import { executeRun, type HandlerResult } from './runner/execute-run';
import type { RunContext } from './runner/run-context';
import { workerEnv, type WorkerEnv } from './worker-env';

/** What every handler may use: this worker's id, its progress publisher and the engines it runs. */
export interface JobContext {
  workerId: string;
  publisher: Redis;
  /**
   * The engines this worker runs: `engineRegistry` in production (workers/main.ts); the scheduler bench starts its
   * workers with an extra instant engine that never ships (bench/scheduler-worker.ts).
   */
  engines: EngineRegistry;
  /** The delivered job's BullMQ metadata (a scheduled fire reads its fire time from it). */
  job?: FiredJob;
}

/**
 * Who retries a job when it fails: `run-kind` = the run row (the kind's `maxAttempts` and `retriesFailures`, see
 * server/runs/run-kinds.ts), `bullmq` = BullMQ's own attempts with backoff set by the producer (copies), `sweep` =
 * nothing at once, the next recurring enqueue does it again (idempotent work such as a prune).
 */
export type RetryRule = 'run-kind' | 'bullmq' | 'sweep';

/** A run kind's work: the runner's context for the claimed run, plus this worker's (its engines). */
export type WorkerRunHandler = (run: ClaimedRun, ctx: RunContext, worker: JobContext) => Promise<HandlerResult>;

interface RunJobDefinition {
  name: RunJobName;
  kind: 'run';
  schema: z.ZodType<{ runId: string }>;
  runKind: RunKind;
  handler: WorkerRunHandler;
  retry: 'run-kind';
}
interface TaskJobDefinition<N extends TaskJobName = TaskJobName> {
  name: N;
  kind: 'task';
  schema: z.ZodType<JobPayload<N>>;
  handler: (payload: JobPayload<N>, ctx: JobContext) => Promise<unknown>;
  retry: Exclude<RetryRule, 'run-kind'>;
}
export type JobDefinition = RunJobDefinition | TaskJobDefinition;

/** One handler per run kind; the compiler insists a new kind in RUN_KINDS gets one. */
const RUN_HANDLERS: Record<RunKind, WorkerRunHandler> = {
  BACKUP: (run, ctx, worker) => runBackup(run, ctx, worker.engines),
  RESTORE: runRestore,
  VERIFY: runVerify,
};

const task = <N extends TaskJobName>(def: Omit<TaskJobDefinition<N>, 'kind' | 'schema'>): TaskJobDefinition =>
  ({ ...def, kind: 'task', schema: JobPayloads[def.name] }) as unknown as TaskJobDefinition;

/** Every job the worker takes, declared once: name, payload schema (server/jobs/contracts.ts), kind, handler, retry. */
export const JOBS: ReadonlyMap<JobName, JobDefinition> = new Map<JobName, JobDefinition>([
  ...(Object.keys(RUN_KINDS) as RunKind[]).map((runKind): [JobName, JobDefinition] => {
    const name = RUN_KINDS[runKind].jobName;
    return [name, { name, kind: 'run', schema: JobPayloads[name], runKind, handler: RUN_HANDLERS[runKind], retry: 'run-kind' }];
  }),
  // Copy jobs are not runs: the copy row is claimed on its own, and BullMQ retries them with backoff (enqueue-copy.ts).
  ...[task({ name: 'copy.run', handler: (payload, ctx) => handleCopyJob(payload, ctx.workerId), retry: 'bullmq' })].map(
    (d): [JobName, JobDefinition] => [d.name, d],
  ),
  // Prunes are not runs either: no run row, and pruning twice is harmless; the next interval enqueues it again.
  ...[task({ name: 'retention.prune', handler: (payload) => handlePruneJob(payload), retry: 'sweep' })].map(
    (d): [JobName, JobDefinition] => [d.name, d],
  ),
  // A schedule's fire is not a run either: it records the slots of every schedule with its cron pattern and maybe
  // creates their runs, in batched transactions (workers/scheduler/fire-pattern.ts). BullMQ retries a fire that hit a catalog
  // error (the job scheduler's template sets the attempts); the unique slot makes a retry harmless.
  ...[
    task({
      name: 'schedule.fire',
      handler: (payload, ctx) => {
        const opts = { sweepMs: workerEnv().LIFEBOAT_SWEEP_MS };
        // A pattern's fire records every schedule of that pattern; the older per-(source, schedule) fire is batched
        // with the others this process receives.
        return 'cron' in payload ? firePattern(payload, ctx.job ?? {}, opts) : submitFire({ payload, job: ctx.job ?? {} }, opts);
      },
      retry: 'bullmq',
    }),
  ].map((d): [JobName, JobDefinition] => [d.name, d]),
  // A notification delivery attempt is not a run either: the delivery row is claimed per attempt, and the handler
  // enqueues the next attempt with its backoff (server/notifications/deliver.ts); the sweep re-enqueues lost ones.
  ...[task({ name: 'notify.deliver', handler: (payload) => deliverNotification(payload.deliveryId, payload.attempt), retry: 'sweep' })].map(
    (d): [JobName, JobDefinition] => [d.name, d],
  ),
]);

/**
 * Runs one delivered job: looks its name up, parses its payload with the job's schema (a malformed payload or an
 * unknown name is a programming error, never retried) and hands it to the runner (runs) or its handler (tasks).
 */
export async function dispatchJob(job: { name: string; data: unknown } & FiredJob, ctx: JobContext): Promise<unknown> {
  const def = JOBS.get(job.name as JobName);
  if (!def) throw new UnrecoverableError(`unknown job ${job.name}`);
  if (def.kind === 'run') {
    const { runId } = parsePayload(def.schema, job);
    return executeRun(runId, ctx.workerId, ctx.publisher, (claimed, runCtx) => def.handler(claimed, runCtx, ctx));
  }
  return def.handler(parsePayload(def.schema, job), { ...ctx, job: { id: job.id, timestamp: job.timestamp, delay: job.delay, opts: job.opts } });
}

function parsePayload<T>(schema: z.ZodType<T>, job: { name: string; data: unknown }): T {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`malformed ${job.name} payload: ${parsed.error.message}`);
  return parsed.data;
}

/** Everything a worker repeats on its own, in one place. */
export function recurringTasks(env: WorkerEnv, workerId: string): RecurringTask[] {
  const sweepSeconds = env.LIFEBOAT_SWEEP_MS / 1000;
  // Parsed here, at start: a bad LIFEBOAT_NOTIFY_* value stops the worker with a message.
  const notify = notifyEnv();
  return [
    // Re-queue or fail runs whose worker died; re-enqueue queued runs whose job vanished.
    { name: 'runs.sweep', everySeconds: sweepSeconds, run: () => sweepRuns(env.LIFEBOAT_RUN_STALE_SECONDS, env.LIFEBOAT_ORPHAN_QUEUED_SECONDS) },
    // One prune per source with retention per interval; the bucket in the job id makes it once across workers.
    { name: 'retention.prune', everySeconds: env.LIFEBOAT_PRUNE_INTERVAL_SECONDS, run: (now) => enqueueDuePrunes(env.LIFEBOAT_PRUNE_INTERVAL_SECONDS, now) },
    // Copies whose job was lost or spent its BullMQ retries.
    { name: 'copies.retry', everySeconds: sweepSeconds, run: (now) => retryStaleCopies(env.LIFEBOAT_COPY_RETRY_IDLE_SECONDS, now) },
    // This worker's liveness in the catalog: the reconciler tells "no worker was running" from "not fired" by it.
    // Its own task, so a long reconcile never makes a live worker look dead.
    { name: 'scheduler.heartbeat', everySeconds: sweepSeconds, run: (now) => beat(workerId, now) },
    // Job schedulers synced from the catalog, slots reconciled, catch-up backups after an outage.
    { name: 'scheduler.sweep', everySeconds: sweepSeconds, run: (now) => schedulerSweep(env.LIFEBOAT_SWEEP_MS, now) },
    // Restore requests past their expiresAt become EXPIRED (verbs also refuse them by the clock; this records it).
    { name: 'restore-requests.expire', everySeconds: sweepSeconds, run: (now) => expireRestoreRequests(now) },
    // Verify the audit chain against its newest anchor, then anchor the head on every destination (or report loudly).
    { name: 'audit.check', everySeconds: env.LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS, run: (now) => runAuditCheck(now, env.LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS) },
    // Notifications: the audit trail and missed slots projected into deliveries (single-flight across workers).
    { name: 'notify.scan', everySeconds: notify.LIFEBOAT_NOTIFY_SCAN_MS / 1000, run: (now) => scanNotifications(now) },
    // RPO at risk / breached, from the SLO figures, told on a transition.
    { name: 'notify.rpo', everySeconds: notify.LIFEBOAT_NOTIFY_RPO_SECONDS, run: (now) => scanRpo(now) },
    // Deliveries whose job Redis lost.
    { name: 'notify.sweep', everySeconds: sweepSeconds, run: (now) => retryLostDeliveries(now) },
  ];
}
