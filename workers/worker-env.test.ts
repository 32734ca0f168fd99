import { describe, expect, it } from 'vitest';
import { parseWorkerEnv } from './worker-env';

describe('worker environment', () => {
  it('has defaults for everything', () => {
    expect(parseWorkerEnv({})).toEqual({
      LIFEBOAT_WORKER_CONCURRENCY: 2,
      LIFEBOAT_RUN_STALE_SECONDS: 30,
      LIFEBOAT_HEARTBEAT_MS: 5000,
      LIFEBOAT_SWEEP_MS: 10000,
      LIFEBOAT_RUN_RETRY_BACKOFF_MS: 15_000,
      LIFEBOAT_SHUTDOWN_GRACE_SECONDS: 20,
      LIFEBOAT_PRUNE_INTERVAL_SECONDS: 3600,
      LIFEBOAT_COPY_RETRY_IDLE_SECONDS: 300,
      LIFEBOAT_ORPHAN_QUEUED_SECONDS: 30,
      LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS: 86_400,
    });
  });

  it('reads whole numbers, and 0 where 0 means off', () => {
    const env = parseWorkerEnv({ LIFEBOAT_WORKER_CONCURRENCY: ' 4 ', LIFEBOAT_PRUNE_INTERVAL_SECONDS: '0' });
    expect(env.LIFEBOAT_WORKER_CONCURRENCY).toBe(4);
    expect(env.LIFEBOAT_PRUNE_INTERVAL_SECONDS).toBe(0);
  });

  it('refuses a typo instead of silently turning a knob off, naming the variable and its value', () => {
    expect(() => parseWorkerEnv({ LIFEBOAT_PRUNE_INTERVAL_SECONDS: '1h' })).toThrow(
      'Invalid worker environment: LIFEBOAT_PRUNE_INTERVAL_SECONDS="1h": must be a whole number (at least 0)',
    );
    expect(() => parseWorkerEnv({ LIFEBOAT_WORKER_CONCURRENCY: '0', LIFEBOAT_SWEEP_MS: '-5' })).toThrow(
      /LIFEBOAT_WORKER_CONCURRENCY="0": must be at least 1; LIFEBOAT_SWEEP_MS="-5": must be a whole number/,
    );
  });
});
