import { describe, expect, it } from 'vitest';
import { restoreResultView } from './restore-result';

const now = Date.parse('2026-01-01T12:00:00Z');

describe('restoreResultView', () => {
  it('reads a scratch restore: address, password, expiry, key counts; running until it expires or is stopped', () => {
    const result = { address: '127.0.0.1:40001', password: 'pw', expiresAt: '2026-01-01T13:00:00Z', keys: { db0: 12, db5: 3 } };
    expect(restoreResultView(result, now)).toEqual({
      address: '127.0.0.1:40001',
      password: 'pw',
      expiresAt: '2026-01-01T13:00:00Z',
      stoppedAt: null,
      state: 'running',
      counts: [
        ['db0', 12],
        ['db5', 3],
      ],
    });
    expect(restoreResultView(result, Date.parse('2026-01-01T13:00:00Z'))?.state).toBe('expired');
    expect(restoreResultView({ ...result, stoppedAt: '2026-01-01T12:30:00Z' }, now)?.state).toBe('stopped');
  });

  it('reads a replay: an address, nothing left running', () => {
    expect(restoreResultView({ address: 'cache2:6379', keys: { db0: 5 }, comparison: {} }, now)).toMatchObject({ address: 'cache2:6379', password: null, state: 'none' });
  });

  it('answers null for no result, and ignores what it does not know', () => {
    expect(restoreResultView(null, now)).toBeNull();
    expect(restoreResultView([1], now)).toBeNull();
    expect(restoreResultView({ keys: { db0: 'x' }, expiresAt: 'soon' }, now)).toMatchObject({ counts: [], state: 'none' });
  });
});
