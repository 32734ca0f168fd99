import { describe, expect, it } from 'vitest';
import { durationToSeconds, splitDuration } from './duration';

describe('recovery objective durations', () => {
  it('shows seconds in the largest whole unit', () => {
    expect(splitDuration(300)).toEqual({ amount: '5', unit: 'minutes' });
    expect(splitDuration(3_600)).toEqual({ amount: '1', unit: 'hours' });
    expect(splitDuration(86_400)).toEqual({ amount: '1', unit: 'days' });
    expect(splitDuration(90)).toEqual({ amount: '90', unit: 'seconds' });
    expect(splitDuration(14_400)).toEqual({ amount: '4', unit: 'hours' });
  });

  it('turns what was typed into seconds, leaving non-numbers for the server to refuse by name', () => {
    expect(durationToSeconds('15', 'minutes')).toBe(900);
    expect(durationToSeconds('1.5', 'hours')).toBe(5_400);
    expect(durationToSeconds('0', 'minutes')).toBe(0);
    expect(durationToSeconds(' 2 ', 'days')).toBe(172_800);
    expect(durationToSeconds('abc', 'minutes')).toBe('abc');
    expect(durationToSeconds('-5', 'minutes')).toBe(-300);
    // 0.5 s is not a whole second: sent as is, the server refuses it naming the field.
    expect(durationToSeconds('0.5', 'seconds')).toBe(0.5);
  });
});
