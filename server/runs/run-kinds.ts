import type { RunJobName } from '@/server/jobs/contracts';

export type RunKind = 'BACKUP' | 'RESTORE' | 'VERIFY';

/** What started a run: a person or token (manual), a policy schedule's slot (schedule), the catch-up after an outage. */
export const RUN_TRIGGERS = ['manual', 'schedule', 'catch-up'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export interface RunKindSpec {
  /** The job that carries a run of this kind (its payload is `{ runId }`). */
  jobName: RunJobName;
  /** The audit action recorded when such a run is requested. */
  requestAction: 'backup.request' | 'restore.request' | 'verify.request';
  /** Attempts in all: worker lost (reaper) and retryable failures (execute-run) both consume one. */
  maxAttempts: number;
  /** Whether a failure whose error says it is transient (`retryable`) may be tried again while attempts are left. */
  retriesFailures: boolean;
}

/**
 * Every run kind, declared once: which job carries it, how often it may be tried and what its request is audited as.
 * A new kind (e.g. a drill) is one line here plus its handler in workers/jobs.ts.
 */
export const RUN_KINDS: Record<RunKind, RunKindSpec> = {
  // A backup only reads the source and writes a new object under its own run id: trying again is always safe.
  BACKUP: { jobName: 'backup.run', requestAction: 'backup.request', maxAttempts: 3, retriesFailures: true },
  // A restore that died half-way is not retried blindly: the target may hold a partial database.
  RESTORE: { jobName: 'restore.run', requestAction: 'restore.request', maxAttempts: 1, retriesFailures: false },
  // Verifying only reads: a run lost with its worker, or hit by a transient error, is safe to try again.
  VERIFY: { jobName: 'verify.run', requestAction: 'verify.request', maxAttempts: 3, retriesFailures: true },
};

export const runKind = (kind: RunKind): RunKindSpec => RUN_KINDS[kind];
