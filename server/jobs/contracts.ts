import { z } from 'zod';

/** One queue carries every run; the job name says which kind. Payloads carry ids only, never credentials. */
export const RUNS_QUEUE = 'runs';

export const JobPayloads = {
  'backup.run': z.object({ runId: z.string().uuid() }),
  'restore.run': z.object({ runId: z.string().uuid() }),
  'verify.run': z.object({ runId: z.string().uuid() }),
  /** Apply a source's retention plan. Not a run: no run row, so the job id is explicit (see enqueueJob). */
  'retention.prune': z.object({ sourceId: z.string().uuid() }),
  /** Copy a recovery point's stored object to another destination. Not a run: the copy row is the truth. */
  'copy.run': z.object({ copyId: z.string().uuid() }),
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

/** Parses a payload received by a worker; a malformed payload is a programming error, never retried. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return JobPayloads[name].parse(data) as JobPayload<N>;
}
