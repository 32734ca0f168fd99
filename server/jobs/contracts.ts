import { z } from 'zod';

/** One queue carries every run; the job name says which kind. Payloads carry ids only, never credentials. */
export const RUNS_QUEUE = 'runs';

export const JobPayloads = {
  'backup.run': z.object({ runId: z.string().uuid() }),
  'restore.run': z.object({ runId: z.string().uuid() }),
} as const;

export type JobName = keyof typeof JobPayloads;
export type JobPayload<N extends JobName> = z.infer<(typeof JobPayloads)[N]>;

export const jobNameForRunKind = (kind: 'BACKUP' | 'RESTORE' | 'VERIFY'): JobName => {
  if (kind === 'BACKUP') return 'backup.run';
  if (kind === 'RESTORE') return 'restore.run';
  throw new Error(`no job for run kind ${kind}`);
};

/** Parses a payload received by a worker; a malformed payload is a programming error, never retried. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return JobPayloads[name].parse(data) as JobPayload<N>;
}
