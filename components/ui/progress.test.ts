import { describe, expect, it } from 'vitest';
import { progressView } from './progress';

// Issue 8, item 7: the bar and the bytes beside it disagreed: a finished run showed a full bar beside
// "4.1 MB of 5.0 MB" (the estimate), and a dump larger than its estimate sat at 99 % beside "1.2 GB of about 1.0 GB".

describe('progressView', () => {
  it('fills the bar as far as the bytes say, and says the same share in words', () => {
    expect(progressView({ done: 250_000_000, total: 1_000_000_000, active: true, complete: false, estimated: true })).toEqual({
      percent: 25,
      text: '250 MB of about 1.0 GB (25 %)',
    });
  });
  it('shows a finished run as its bytes alone beside a full bar: the estimate no longer matters', () => {
    expect(progressView({ done: 4_100_000, total: 5_000_000, active: false, complete: true, estimated: true })).toEqual({ percent: 100, text: '4.1 MB' });
  });
  it('stops claiming a share once the bytes pass the estimate (an indeterminate bar)', () => {
    expect(progressView({ done: 1_200_000_000, total: 1_000_000_000, active: true, complete: false, estimated: true })).toEqual({
      percent: undefined,
      text: '1.2 GB (more than the estimated 1.0 GB)',
    });
  });
  it('never shows 100 % before the end, nor a share without a total', () => {
    expect(progressView({ done: 999_999, total: 1_000_000, active: true, complete: false, estimated: false }).percent).toBe(99);
    expect(progressView({ done: 10, total: null, active: true, complete: false, estimated: false })).toEqual({ percent: undefined, text: '10 B' });
  });
});
