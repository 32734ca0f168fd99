import type { Actor } from '@/server/auth/permissions';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { HttpError } from './http-error';
import { httpKey, httpRedis, withTimeout } from './http-redis';

// Fixed one-minute windows: the limit is "per minute", and a client reads when it may go on from one number
// (`RateLimit-Reset`, `Retry-After`); a burst of twice the limit across a window boundary is the accepted cost.
const WINDOW_MS = 60_000;
// The counter lives a little longer than its window, so that a clock a few seconds apart between web processes
// still finds it.
const KEY_TTL_MS = WINDOW_MS + 10_000;
// A request waits at most this long for the counter; then it goes through uncounted (fail open, logged).
const REDIS_TIMEOUT_MS = 1_000;
// One warning a minute is enough to say the limiter is off; more would flood the log of a web process under load.
const WARN_EVERY_MS = 60_000;

// INCR and the expiry in one step: a counter without its expiry would outlive its window forever.
const TAKE = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

let lastWarning = 0;

/** Who is counted: each API token on its own, each signed-in user on their own (all their sessions together). */
function subjectOf(actor: Actor | null): string | null {
  if (!actor || !actor.id || (actor.type !== 'token' && actor.type !== 'user')) return null;
  return `${actor.type}:${actor.id}`;
}

/** The `RateLimit-*` headers of an answer (IETF draft "RateLimit header fields for HTTP"). */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
    'ratelimit-policy': `${state.limit};w=${WINDOW_MS / 1000}`,
  };
}

/**
 * Counts one request of `actor` in the current minute (LIFEBOAT_RATE_LIMIT_PER_MINUTE, 0 = off); throws 429
 * `RATE_LIMITED` with `Retry-After` once the minute's budget is spent. Requests without an actor (they are answered
 * 401) and the system are not counted. When Redis cannot count (down, slow), the request goes through uncounted:
 * the limit protects the API, it must not take it down.
 */
export async function takeRequest(actor: Actor | null, now = Date.now()): Promise<RateLimitState | null> {
  const limit = env().LIFEBOAT_RATE_LIMIT_PER_MINUTE;
  const subject = subjectOf(actor);
  if (limit === 0 || subject === null) return null;
  const window = Math.floor(now / WINDOW_MS);
  const resetSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
  let count: number;
  try {
    const key = httpKey('ratelimit', subject, String(window));
    count = Number(await withTimeout(httpRedis().eval(TAKE, 1, key, String(KEY_TTL_MS)), REDIS_TIMEOUT_MS, 'rate limit'));
  } catch (err) {
    if (now - lastWarning > WARN_EVERY_MS) {
      lastWarning = now;
      logger.warn({ err }, 'rate limit not applied: Redis could not count the request');
    }
    return null;
  }
  const state = { limit, remaining: Math.max(0, limit - count), resetSeconds };
  if (count > limit) {
    const who = actor!.type === 'token' ? 'API token' : 'user';
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `too many requests: at most ${limit} a minute per ${who}; retry in ${resetSeconds} s`,
      { limit, retryAfterSeconds: resetSeconds },
      { 'retry-after': String(resetSeconds), ...rateLimitHeaders(state) },
    );
  }
  return state;
}
