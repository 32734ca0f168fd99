import { describe, expect, it } from 'vitest';
import { loggingEnv, parseSharedEnv } from './env';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/lifeboat' };

describe('parseSharedEnv', () => {
  it('parses the copy backoff, 5 s by default', () => {
    expect(parseSharedEnv(base).LIFEBOAT_COPY_BACKOFF_MS).toBe(5_000);
    expect(parseSharedEnv({ ...base, LIFEBOAT_COPY_BACKOFF_MS: '300' }).LIFEBOAT_COPY_BACKOFF_MS).toBe(300);
  });

  it('refuses a copy backoff that is not a whole number instead of retrying every NaN ms', () => {
    for (const bad of ['5s', 'abc', '', '0', '-1', '1.5']) {
      expect(() => parseSharedEnv({ ...base, LIFEBOAT_COPY_BACKOFF_MS: bad }), bad).toThrow(/LIFEBOAT_COPY_BACKOFF_MS/);
    }
  });
});

describe('loggingEnv', () => {
  it('needs no DATABASE_URL and defaults to info', () => {
    expect(loggingEnv({})).toEqual({ LOG_LEVEL: 'info' });
    expect(loggingEnv({ LOG_LEVEL: 'debug' }).LOG_LEVEL).toBe('debug');
  });

  it('refuses an unknown level with a readable error', () => {
    expect(() => loggingEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
