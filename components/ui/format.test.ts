import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatConfigValue, formatDuration, formatPercent, formatRate, formatSeconds } from './format';

describe('numbers for people', () => {
  it('sizes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234)).toBe('1.2 kB');
    expect(formatBytes(1_200_000_000)).toBe('1.2 GB');
    expect(formatBytes(45_600_000)).toBe('46 MB');
    expect(formatBytes(9_960_000)).toBe('10 MB');
    expect(formatBytes(null)).toBe('—');
  });
  it('rates', () => {
    expect(formatRate(80_000_000)).toBe('80 MB/s');
    expect(formatRate(1.6863406408094437)).toBe('2 B/s');
  });
  it('durations with at most two units', () => {
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(200)).toBe('3 min 20 s');
    expect(formatSeconds(300)).toBe('5 min');
    expect(formatSeconds(7_500)).toBe('2 h 5 min');
    expect(formatSeconds(3_600)).toBe('1 h');
    expect(formatSeconds(86_400 * 3 + 3_600 * 4)).toBe('3 d 4 h');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(-1)).toBe('—');
  });
  it('ages in the past and the future', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(formatAge('2026-12-02T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAge('2026-12-02T12:12:00Z', now)).toBe('in 12 min');
    expect(formatAge(null, now)).toBe('—');
  });
  it('percentages never round up to 100 %', () => {
    expect(formatPercent(0.75)).toBe('75 %');
    expect(formatPercent(0.996)).toBe('99 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(null)).toBe('—');
  });
});

describe('a source config value on the Connection card', () => {
  it('lists names one after the other, keeps text, shows the rest as JSON', () => {
    expect(formatConfigValue(['billing', 'accounts'])).toBe('billing, accounts');
    expect(formatConfigValue('*')).toBe('*');
    expect(formatConfigValue(true)).toBe('true');
    expect(formatConfigValue(5432)).toBe('5432');
    expect(formatConfigValue({ a: 1 })).toBe('{"a":1}');
    expect(formatConfigValue([{ a: 1 }])).toBe('[{"a":1}]');
    expect(formatConfigValue(undefined)).toBe('undefined');
  });
});
