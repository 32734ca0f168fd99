import { describe, expect, it } from 'vitest';
import { waitDeadline } from './waiting-slots';

describe('waitDeadline: how long a slot waits for its destination', () => {
  it('until the end of the window the slot is in, on the schedule wall clock', () => {
    const s = { cron: '0 1 * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } };
    expect(waitDeadline(s, new Date('2026-12-06T01:00:00Z')).toISOString()).toBe('2026-12-06T05:00:00.000Z');
    // A window crossing midnight ends the next day.
    const night = { cron: '0 23 * * *', timezone: 'UTC', window: { start: '22:00', end: '02:00' } };
    expect(waitDeadline(night, new Date('2026-12-06T23:00:00Z')).toISOString()).toBe('2026-12-07T02:00:00.000Z');
    // Read in the schedule's zone: 05:00 in Berlin (UTC+1 in December) is 04:00 UTC.
    const berlin = { cron: '0 1 * * *', timezone: 'Europe/Berlin', window: { start: '01:00', end: '05:00' } };
    expect(waitDeadline(berlin, new Date('2026-12-06T00:00:00Z')).toISOString()).toBe('2026-12-06T04:00:00.000Z');
  });

  it('without a window: one period of the schedule, at most an hour', () => {
    expect(waitDeadline({ cron: '*/5 * * * *', timezone: 'UTC' }, new Date('2026-12-06T03:00:00Z')).toISOString()).toBe('2026-12-06T03:05:00.000Z');
    expect(waitDeadline({ cron: '0 3 * * 0', timezone: 'UTC' }, new Date('2026-12-06T03:00:00Z')).toISOString()).toBe('2026-12-06T04:00:00.000Z');
  });
});
