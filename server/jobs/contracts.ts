import crypto from 'node:crypto';
import { z } from 'zod';

/** One queue carries every run; the job name says which kind. Payloads carry ids only, never credentials. */
export const RUNS_QUEUE = 'runs';
/**
 * The schedules' fires have their own queue (and their own Worker in each process): a fire must be handled within its
 * grace, never wait behind hours-long backups holding every slot of the runs queue.
 */
export const SCHEDULES_QUEUE = 'schedules';
/**
 * Notification deliveries have their own queue (and Worker): a message about a failed backup must not wait behind
 * the hours-long backups holding every slot of the runs queue.
 */
export const NOTIFICATIONS_QUEUE = 'notifications';

export const JobPayloads = {
  'backup.run': z.object({ runId: z.string().uuid() }),
  'restore.run': z.object({ runId: z.string().uuid() }),
  'verify.run': z.object({ runId: z.string().uuid() }),
  /** Apply a source's retention plan. Not a run: no run row, so the job id is explicit (see enqueueJob). */
  'retention.prune': z.object({ sourceId: z.string().uuid() }),
  /** Copy a recovery point's stored object to another destination. Not a run: the copy row is the truth. */
  'copy.run': z.object({ copyId: z.string().uuid() }),
  /**
   * One firing of a cron pattern (cron + time zone), produced by its BullMQ job scheduler (`patternSchedulerId`): the
   * handler records the slot of every schedule with that pattern and, unless skipped, creates their runs, in a few
   * batched transactions (workers/scheduler/fire-pattern.ts). Not a run. The older shape, one (source, schedule) per
   * job scheduler, is still taken, so jobs a previous version left in Redis fire once more before the sync removes
   * their schedulers.
   */
  'schedule.fire': z.union([
    z.object({ cron: z.string().min(1).max(200), timezone: z.string().min(1).max(100) }).strict(),
    z.object({ sourceId: z.string().uuid(), scheduleId: z.string().min(1).max(200) }),
  ]),
  /**
   * One attempt at sending a notification delivery row (server/notifications/deliver.ts). Not a run: the delivery row
   * is the truth; `attempt` is the row's `attempts` the job was enqueued for, so a stale or duplicate job claims nothing.
   */
  'notify.deliver': z.object({ deliveryId: z.string().uuid(), attempt: z.number().int().min(0).max(1000) }),
} as const;

export type JobName = keyof typeof JobPayloads;
export type JobPayload<N extends JobName> = z.infer<(typeof JobPayloads)[N]>;
/** Jobs that carry a run (executed through the runner, see server/runs/run-kinds.ts); the others are tasks. */
export type RunJobName = 'backup.run' | 'restore.run' | 'verify.run';
export type TaskJobName = Exclude<JobName, RunJobName>;

/**
 * The BullMQ job id of a run's job: the run row's `jobGeneration` is bumped by every re-enqueue (shutdown release,
 * retry, reaper, orphan sweep), so a re-enqueue is never swallowed by the job still held for the previous one, while
 * duplicate adds of one generation stay one job.
 */
export const runJobId = (runId: string, generation: number): string => `${runId}-g${generation}`;

/**
 * The id of the BullMQ job scheduler that fires every schedule with one cron pattern in one time zone: a digest of the
 * two, so a thousand sources on `* * * * *` make one scheduler and one job a minute, not a thousand. The sync removes
 * `sched:` ids it does not expect (also those of the older per-(source, schedule) schedulers).
 */
export const patternSchedulerId = (cron: string, timezone: string): string =>
  `${SCHEDULER_ID_PREFIX}cron:${crypto.createHash('sha256').update(`${timezone}\n${cron}`).digest('hex').slice(0, 24)}`;
export const SCHEDULER_ID_PREFIX = 'sched:';

/** The BullMQ job id of one attempt at a notification delivery: the delivery id and the attempt it is for. */
export const notificationJobId = (deliveryId: string, attempt: number): string => `notify-${deliveryId}-a${attempt}`;

/** Parses a payload received by a worker; a malformed payload is a programming error, never retried. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return JobPayloads[name].parse(data) as JobPayload<N>;
}
