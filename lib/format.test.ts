import { describe, expect, it } from 'vitest';
import { formatBytes, formatRate, formatSeconds } from './format';

// Issue 8, item 7: run logs said "dumped 48213 bytes, stored 9120 bytes" and rates "1.6863406408094437 B/s".

describe('lib/format', () => {
  it('words sizes in decimal units with at most one decimal', () => {
    expect(formatBytes(48_213)).toBe('48 kB');
    expect(formatBytes(9_120)).toBe('9.1 kB');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567_890n)).toBe('1.2 GB');
    expect(formatBytes(null)).toBe('—');
  });
  it('never shows a raw float rate', () => {
    expect(formatRate(1.6863406408094437)).toBe('2 B/s');
    expect(formatRate(80_400_000)).toBe('80 MB/s');
  });
  it('words durations in two units at most', () => {
    expect(formatSeconds(7_500)).toBe('2 h 5 min');
    expect(formatSeconds(3_600)).toBe('1 h');
    expect(formatSeconds(0.4)).toBe('0 s');
  });
});
