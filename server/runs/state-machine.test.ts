import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, RUN_STATUSES, sourcesOf, TERMINAL } from './state-machine';

describe('run state machine', () => {
  it('follows QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED', () => {
    expect(canTransition('QUEUED', 'RUNNING')).toBe(true);
    for (const end of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) expect(canTransition('RUNNING', end)).toBe(true);
  });

  it('lets a queued run be cancelled or failed without running, but never succeed', () => {
    expect(canTransition('QUEUED', 'CANCELLED')).toBe(true);
    expect(canTransition('QUEUED', 'FAILED')).toBe(true);
    expect(canTransition('QUEUED', 'SUCCEEDED')).toBe(false);
  });

  it('retries a running run only by re-queueing it', () => {
    expect(canTransition('RUNNING', 'QUEUED')).toBe(true);
    expect(canTransition('RUNNING', 'RUNNING')).toBe(false);
  });

  it('never leaves a terminal state', () => {
    for (const from of TERMINAL) {
      for (const to of RUN_STATUSES) {
        expect(canTransition(from, to)).toBe(false);
        expect(() => assertTransition(from, to)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
      }
    }
  });

  it('derives the WHERE clause of each conditional update', () => {
    expect(sourcesOf('RUNNING')).toEqual(['QUEUED']);
    expect(sourcesOf('SUCCEEDED')).toEqual(['RUNNING']);
    expect(sourcesOf('CANCELLED').sort()).toEqual(['QUEUED', 'RUNNING']);
  });
});
