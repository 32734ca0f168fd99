import { describe, expect, it } from 'vitest';
import { describeRetention } from '@/components/sources/retention-words';
import { bodyOf, draftOf, fieldOfIssue, issueLabel, newTier, previewOf, fieldMessages } from './retention-draft';

describe('draftOf / bodyOf', () => {
  it('starts empty (no rule) in UTC, and an empty form sends no rule', () => {
    const draft = draftOf(null);
    expect(draft).toMatchObject({ keepLast: '', keepDaily: '', keepWithin: '', minRetention: '', timezone: 'UTC', tiers: [] });
    expect(bodyOf(draft)).toEqual({ timezone: 'UTC' });
  });

  it('round-trips a stored retention', () => {
    const stored = {
      keepLast: 3,
      keepDaily: 7,
      keepYearly: 2,
      keepWithin: '30d',
      minRetention: '2d',
      tiers: [
        { afterDays: 30, storageClass: 'STANDARD_IA' },
        { afterDays: 365, storageClass: 'GLACIER' },
      ],
      timezone: 'Europe/Paris',
    };
    expect(bodyOf(draftOf(stored))).toEqual(stored);
  });

  it('sends what was typed, even when wrong, so the server names the field; empty turns a rule off', () => {
    const draft = {
      ...draftOf(null),
      keepLast: ' 0 ',
      keepDaily: '1.5',
      keepWeekly: '',
      keepWithin: ' abc ',
      timezone: '',
      tiers: [newTier('', 'GLACIER'), newTier('x', '')],
    };
    expect(bodyOf(draft)).toEqual({
      keepLast: 0,
      keepDaily: 1.5,
      keepWithin: 'abc',
      tiers: [{ storageClass: 'GLACIER' }, { afterDays: 'x', storageClass: '' }],
    });
  });
});

describe('previewOf', () => {
  it('words only the well-formed rules, and keeps everything without one', () => {
    const draft = { ...draftOf(null), keepLast: '3', keepDaily: '0', keepWithin: 'abc', tiers: [newTier('30', 'STANDARD_IA'), newTier('', 'GLACIER')] };
    const words = describeRetention(previewOf(draft));
    expect(words.keeps).toEqual(['the last 3 points']);
    expect(words.tiers).toEqual(['to STANDARD_IA after 30 days']);
    expect(describeRetention(previewOf(draftOf(null))).keeps).toEqual([]);
  });
});

describe('fieldOfIssue / issueLabel / fieldMessages', () => {
  it('maps API issue paths to the form', () => {
    expect(fieldOfIssue(['keepWithin'])).toBe('keepWithin');
    expect(fieldOfIssue(['timezone'])).toBe('timezone');
    expect(fieldOfIssue(['tiers', '1', 'afterDays'])).toBe('tiers.1.afterDays');
    expect(fieldOfIssue(['tiers', '0', 'storageClass'])).toBe('tiers.0.storageClass');
    expect(fieldOfIssue(['tiers', '0'])).toBe('tiers');
    expect(fieldOfIssue(['tiers'])).toBe('tiers');
    expect(fieldOfIssue([])).toBeNull();
    expect(fieldOfIssue(['color'])).toBeNull();
  });

  it('names issue paths as the form labels them', () => {
    expect(issueLabel(['keepWithin'])).toBe('Keep within');
    expect(issueLabel(['keepLast'])).toBe('Keep last');
    expect(issueLabel(['timezone'])).toBe('Time zone');
    expect(issueLabel(['tiers', '1', 'storageClass'])).toBe('Tier 2, storage class');
    expect(issueLabel(['tiers', '0', 'afterDays'])).toBe('Tier 1, after (days)');
    expect(issueLabel(['tiers', '0'])).toBe('Tier 1');
    expect(issueLabel(['tiers'])).toBe('Storage tiers');
    expect(issueLabel([])).toBe('');
    expect(issueLabel(['color'])).toBe('color');
  });

  it('keeps the first message per field', () => {
    const fields = fieldMessages([
      { path: ['keepWithin'], message: '"abc" is not a duration' },
      { path: ['keepWithin'], message: 'second' },
      { path: [], message: 'Unrecognized key: "color"' },
    ]);
    expect(fields).toEqual({ keepWithin: '"abc" is not a duration' });
  });
});
