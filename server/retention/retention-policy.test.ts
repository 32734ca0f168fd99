import { describe, expect, it } from 'vitest';
import { parseDuration, subtractDuration } from './duration';
import { hasKeepRule, parseRetentionPolicy } from './retention-policy';

const messageOf = (input: unknown) => {
  try {
    parseRetentionPolicy(input);
  } catch (e) {
    return (e as Error).message;
  }
  return 'parsed';
};

describe('RetentionPolicy', () => {
  it('accepts a full policy and defaults the time zone to UTC', () => {
    const policy = parseRetentionPolicy({
      keepLast: 3,
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 7,
      keepWithin: '30d',
      minRetention: '12h',
      tiers: [
        { afterDays: 30, storageClass: 'STANDARD_IA' },
        { afterDays: 90, storageClass: 'GLACIER' },
      ],
    });
    expect(policy.timezone).toBe('UTC');
    expect(hasKeepRule(policy)).toBe(true);
    expect(hasKeepRule(parseRetentionPolicy({ minRetention: '7d', tiers: [] }))).toBe(false);
  });

  it('canonicalises time zone names', () => {
    expect(parseRetentionPolicy({ timezone: 'utc' }).timezone).toBe('UTC');
    expect(parseRetentionPolicy({ timezone: 'europe/paris' }).timezone).toBe('Europe/Paris');
  });

  it('explains every wrong field in one readable message', () => {
    expect(messageOf({ keepDaily: 0 })).toBe('keepDaily: keepDaily must be at least 1 (omit it to disable the rule)');
    expect(messageOf({ keepLast: 1.5, keepHourly: '3' })).toBe(
      'keepLast: keepLast must be a whole number; keepHourly: keepHourly must be a whole number',
    );
    expect(messageOf({ keepDayly: 7 })).toBe('Unrecognized key: "keepDayly"');
    expect(messageOf({ timezone: 'Mars/Base' })).toBe('timezone: unknown time zone "Mars/Base" (use an IANA name such as UTC or Europe/Paris)');
    expect(messageOf({ keepWithin: '30 days' })).toMatch(/^keepWithin: "30 days" is not a duration: use a whole number and one unit h, d, w or y/);
    expect(messageOf({ minRetention: '6m' })).toMatch(/^minRetention: "6m" is ambiguous: minutes or months\?/);
    expect(messageOf({ keepWithin: '0d' })).toBe('keepWithin: "0d" is zero: omit the setting instead');
    expect(messageOf({ keepWithin: 30 })).toBe('keepWithin: must be a duration such as 30d, 12h, 2w or 1y');
    expect(messageOf({ tiers: [{ afterDays: 90, storageClass: 'GLACIER' }, { afterDays: 30, storageClass: 'STANDARD_IA' }] })).toBe(
      'tiers.1.afterDays: tiers must be sorted by afterDays with no repeats: 30 follows 90',
    );
    expect(messageOf({ tiers: [{ afterDays: 30, storageClass: 'GLACIER' }, { afterDays: 90, storageClass: 'GLACIER' }] })).toBe(
      'tiers.1.storageClass: storage class GLACIER appears twice',
    );
    expect(messageOf({ tiers: [{ afterDays: -1, storageClass: 'glacier deep' }] })).toBe(
      'tiers.0.afterDays: afterDays must be 0 or more; tiers.0.storageClass: storageClass may contain letters, digits, _ and - (e.g. STANDARD_IA, GLACIER)',
    );
  });

  it('throws a VALIDATION DomainError with structured issues', () => {
    expect(() => parseRetentionPolicy({ keepLast: -1 })).toThrow(expect.objectContaining({
      code: 'VALIDATION',
      details: { issues: [{ path: ['keepLast'], message: 'keepLast must be at least 1 (omit it to disable the rule)' }] },
    }));
  });
});

describe('durations', () => {
  it('parses exactly one whole number and one unit', () => {
    expect(parseDuration('30d')).toEqual({ amount: 30, unit: 'd', text: '30d' });
    expect(parseDuration('12h')).toEqual({ amount: 12, unit: 'h', text: '12h' });
    for (const bad of ['', 'd', '30', '30D', ' 30d', '30d ', '1y6w', '030d', '-1d', '1.5d', '30s']) {
      expect(parseDuration(bad)).toHaveProperty('error');
    }
    expect(parseDuration('1000y')).not.toHaveProperty('error');
    expect(parseDuration('1001y')).toEqual({ error: '"1001y" is longer than 1000 years; use a legal hold for indefinite retention' });
  });

  it('subtracts hours, days and weeks exactly and years on the calendar', () => {
    const from = new Date('2026-03-29T12:00:00Z');
    expect(subtractDuration(from, { amount: 36, unit: 'h', text: '36h' }).toISOString()).toBe('2026-03-28T00:00:00.000Z');
    expect(subtractDuration(from, { amount: 2, unit: 'w', text: '2w' }).toISOString()).toBe('2026-03-15T12:00:00.000Z');
    expect(subtractDuration(from, { amount: 7, unit: 'y', text: '7y' }).toISOString()).toBe('2019-03-29T12:00:00.000Z');
    const leap = new Date('2028-02-29T06:00:00Z');
    expect(subtractDuration(leap, { amount: 1, unit: 'y', text: '1y' }).toISOString()).toBe('2027-02-28T06:00:00.000Z');
    expect(subtractDuration(leap, { amount: 4, unit: 'y', text: '4y' }).toISOString()).toBe('2024-02-29T06:00:00.000Z');
  });
});
