import { describe, expect, it } from 'vitest';
import { IsoDateTimeInRange } from './bounded-date';

describe('IsoDateTimeInRange', () => {
  // Found by server/http/hostile-sweep.int.test.ts: `GET /api/v1/runs?before=0000-01-01T00:00:00Z` passed
  // z.string().datetime() and PostgreSQL refused year 0 (22008, a 500).
  it('refuses dates PostgreSQL or Date cannot hold, and impossible ones', () => {
    for (const s of ['0000-01-01T00:00:00Z', '275760-09-13T00:00:00.001Z', '2026-02-30T00:00:00Z', 'NaN', '', '1e308']) {
      expect(IsoDateTimeInRange.safeParse(s).success, s).toBe(false);
    }
  });

  it('accepts ISO date-times from 1970 to 9999, with an offset', () => {
    expect(IsoDateTimeInRange.parse('2026-07-07T12:00:00Z')).toBe('2026-07-07T12:00:00Z');
    expect(IsoDateTimeInRange.safeParse('9999-12-31T23:59:59Z').success).toBe(true);
    expect(IsoDateTimeInRange.safeParse('1970-01-01T00:00:00+02:00').success).toBe(false);
    expect(IsoDateTimeInRange.safeParse('2026-07-07T12:00:00+02:00').success).toBe(true);
  });
});

it('keeps the day of a positive offset just after midnight', () => {
  expect(IsoDateTimeInRange.safeParse('2026-03-01T00:30:00+02:00').success).toBe(true);
  expect(IsoDateTimeInRange.safeParse('2024-02-29T00:00:00Z').success).toBe(true);
  expect(IsoDateTimeInRange.safeParse('2026-02-29T00:00:00Z').success).toBe(false);
});
