import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bucketOf, startRecurring } from './recurring';

describe('startRecurring', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('runs each task once per bucket of its period, skips disabled ones, and never overlaps a task with itself', async () => {
    const calls: string[] = [];
    let release: () => void = () => undefined;
    const stop = startRecurring(
      [
        { name: 'fast', everySeconds: 1, run: async () => void calls.push('fast') },
        { name: 'hourly', everySeconds: 3600, run: async () => void calls.push('hourly') },
        { name: 'off', everySeconds: 0, run: async () => void calls.push('off') },
        { name: 'slow', everySeconds: 1, run: () => new Promise<void>((r) => ((release = r), calls.push('slow'))) },
      ],
      500,
    );
    await vi.advanceTimersByTimeAsync(2_900);
    expect(calls.filter((c) => c === 'fast')).toHaveLength(3);
    expect(calls.filter((c) => c === 'hourly')).toHaveLength(1);
    expect(calls).not.toContain('off');
    // Still running its first call: no second one started.
    expect(calls.filter((c) => c === 'slow')).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls.filter((c) => c === 'slow')).toHaveLength(2);
    stop();
  });

  it('retries a failed task on the next tick', async () => {
    let n = 0;
    const stop = startRecurring([{ name: 'flaky', everySeconds: 3600, run: async () => { n += 1; if (n === 1) throw new Error('boom'); } }], 500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(n).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(n).toBe(2);
    stop();
  });

  it('buckets by wall clock, the same in every process', () => {
    expect(bucketOf(new Date(7_200_000), 3600)).toBe(2);
  });
});
