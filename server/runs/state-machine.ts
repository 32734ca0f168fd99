import { DomainError } from '@/server/shared/errors';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Every legal status change. RUNNING → QUEUED hands a run back: its worker stopped heart-beating (reaper), shut
 * down (release) or hit a retryable failure with attempts left (retry); terminal states have no way out, so a
 * finished run can never be resurrected or finished twice. transitions.ts derives every WHERE clause from this table.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  QUEUED: ['RUNNING', 'CANCELLED', 'FAILED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELLED', 'QUEUED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_STATE', `A run cannot go from ${from} to ${to}`);
  }
}

/** Statuses from which `to` can be reached: the WHERE clause of the conditional update that performs it. */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => canTransition(from, to));
}
