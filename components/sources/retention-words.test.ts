import { describe, expect, it } from 'vitest';
import { describeRetention, durationWords } from './retention-words';

describe('describeRetention', () => {
  it('keeps everything without a policy or without a keep rule', () => {
    expect(describeRetention(null)).toEqual({ keeps: [], minimum: null, tiers: [], timezone: null });
    expect(describeRetention({ minRetention: '2d', timezone: 'UTC' })).toEqual({
      keeps: [],
      minimum: 'Nothing younger than 2 days is deleted, whatever the rules say.',
      tiers: [],
      timezone: null,
    });
  });

  it('words every rule, the minimum, the tiers and the time zone calendar rules are read in', () => {
    const words = describeRetention({
      keepLast: 7,
      keepDaily: 14,
      keepWeekly: 1,
      keepMonthly: 12,
      keepYearly: 3,
      keepHourly: 24,
      keepWithin: '30d',
      minRetention: '12h',
      tiers: [
        { afterDays: 0, storageClass: 'STANDARD_IA' },
        { afterDays: 90, storageClass: 'GLACIER' },
      ],
      timezone: 'Europe/Paris',
    });
    expect(words.keeps).toEqual([
      'the last 7 points',
      'the newest point of each of the last 24 hours that have a backup',
      'the newest point of each of the last 14 days that have a backup',
      'the newest point of the most recent week that has a backup',
      'the newest point of each of the last 12 months that have a backup',
      'the newest point of each of the last 3 years that have a backup',
      'every point from the 30 days before the newest one',
    ]);
    expect(words.minimum).toBe('Nothing younger than 12 hours is deleted, whatever the rules say.');
    expect(words.tiers).toEqual(['to STANDARD_IA at once', 'to GLACIER after 90 days']);
    expect(words.timezone).toBe('Europe/Paris');
  });

  it('names no time zone when no calendar rule reads one', () => {
    expect(describeRetention({ keepLast: 1, keepWithin: '1y', timezone: 'UTC' })).toMatchObject({
      keeps: ['the newest point', 'every point from the 1 year before the newest one'],
      timezone: null,
    });
  });
});

describe('durationWords', () => {
  it('spells out the four units and leaves anything else alone', () => {
    expect(['1h', '2d', '1w', '7y', 'soon'].map(durationWords)).toEqual(['1 hour', '2 days', '1 week', '7 years', 'soon']);
  });
});
