import { describe, expect, it } from 'vitest';
import { fireTimeOf } from './fire-slot';
import { graceMs, periodMs, previousSlot } from './schedule-times';

const hourly = { cron: '0 * * * *', timezone: 'UTC' };
const weekly = { cron: '0 3 * * 0', timezone: 'Europe/Berlin' };

describe('scheduler: slot times', () => {
  it('rounds a fire time down to its slot, exact or a little late, for minute and week schedules', () => {
    expect(previousSlot(hourly, new Date('2026-12-02T10:00:00Z'))?.toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(previousSlot(hourly, new Date('2026-12-02T10:00:00.004Z'))?.toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(previousSlot(hourly, new Date('2026-12-02T10:59:59Z'))?.toISOString()).toBe('2026-12-02T10:00:00.000Z');
    // Sunday 6 Dec 2026 03:00 in Berlin (CET, UTC+1) is 02:00 UTC.
    expect(previousSlot(weekly, new Date('2026-12-09T12:00:00Z'))?.toISOString()).toBe('2026-12-06T02:00:00.000Z');
  });

  it('gives a fire one period of grace, at most a minute', () => {
    expect(periodMs(hourly, new Date('2026-12-02T10:30:00Z'))).toBe(3_600_000);
    expect(graceMs(hourly, new Date())).toBe(60_000);
    expect(graceMs({ cron: '*/2 * * * * *', timezone: 'UTC' }, new Date())).toBe(2_000);
  });

  it("reads a produced job's fire time from BullMQ's stamp, then its id, never from when it arrived", () => {
    expect(fireTimeOf({ id: 'repeat:sched:x:y:1700000000000', opts: { prevMillis: 1700000000000 } })?.getTime()).toBe(1700000000000);
    expect(fireTimeOf({ id: 'repeat:sched:x:y:1700000002000' })?.getTime()).toBe(1700000002000);
    expect(fireTimeOf({ timestamp: 1700000000000, delay: 500 })?.getTime()).toBe(1700000000500);
    expect(fireTimeOf({})).toBeNull();
  });
});
