import { describe, expect, it } from 'vitest';
import { describeSchedule, describeTiming, formatSlot } from './schedule-words';

const words = (cron: string, timezone = 'UTC') => describeTiming({ cron, timezone });

describe('describeTiming', () => {
  it('words the seeds’ cron table', () => {
    expect(words('0 3 * * 0')).toBe('every Sunday at 03:00 UTC');
    expect(words('0 2 * * 1-6')).toBe('every Monday to Saturday at 02:00 UTC');
    expect(words('0 * * * *')).toBe('hourly at :00 (UTC)');
    expect(words('*/5 * * * *')).toBe('every 5 minutes');
    expect(words('0 4 * * *')).toBe('daily at 04:00 UTC');
    expect(words('0 5 * * *', 'Europe/Berlin')).toBe('daily at 05:00 Europe/Berlin');
  });

  it('covers the other common shapes', () => {
    expect(words('* * * * *')).toBe('every minute');
    expect(words('15 * * * *', 'Europe/Berlin')).toBe('hourly at :15 (Europe/Berlin)');
    expect(words('0 */6 * * *')).toBe('every 6 hours at :00 (UTC)');
    expect(words('0 8,14,20 * * *')).toBe('daily at 08:00, 14:00 and 20:00 UTC');
    expect(words('0 3 * * 1,3,5')).toBe('every Monday, Wednesday and Friday at 03:00 UTC');
    expect(words('0 3 * * 6,0')).toBe('every Saturday and Sunday at 03:00 UTC');
    expect(words('0 3 * * 7')).toBe('every Sunday at 03:00 UTC');
    expect(words('0 4 1 * *')).toBe('monthly on the 1st at 04:00 UTC');
    expect(words('0 4 1,15 * *')).toBe('monthly on the 1st and 15th at 04:00 UTC');
    expect(words('0 4 L * *')).toBe('monthly on the last day at 04:00 UTC');
    expect(words('@daily')).toBe('daily at 00:00 UTC');
  });

  it('falls back to the cron text for what it cannot word honestly', () => {
    expect(words('0 3 1-7 * 1')).toBe('cron 0 3 1-7 * 1 (UTC)'); // day of month OR day of week
    expect(words('0 3 * * 1#2')).toBe('cron 0 3 * * 1#2 (UTC)');
    expect(words('0 3 * 1 *')).toBe('cron 0 3 * 1 * (UTC)');
    expect(words('30 0 3 * * *')).toBe('cron 30 0 3 * * * (UTC)');
    expect(words('5,10 * * * *')).toBe('cron 5,10 * * * * (UTC)');
    expect(words('not a cron')).toBe('cron not a cron (UTC)');
  });

  it('adds the window', () => {
    expect(describeSchedule({ cron: '0 3 * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } })).toBe(
      'daily at 03:00 UTC, only between 01:00 and 05:00 UTC',
    );
    expect(describeSchedule({ cron: '0 23 * * *', timezone: 'UTC', window: { start: '22:00', end: '02:00' } })).toBe(
      'daily at 23:00 UTC, only between 22:00 and 02:00 (next day) UTC',
    );
  });
});

describe('formatSlot', () => {
  it('shows a fire time in the schedule zone', () => {
    expect(formatSlot(new Date('2026-12-06T03:00:00Z'), 'UTC')).toBe('Sun 6 Dec 03:00');
    expect(formatSlot(new Date('2026-12-06T03:00:00Z'), 'Europe/Berlin')).toBe('Sun 6 Dec 04:00');
    expect(formatSlot(new Date('2026-12-06T03:00:30Z'), 'UTC')).toBe('Sun 6 Dec 03:00:30');
  });
});
