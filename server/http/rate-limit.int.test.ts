import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sourcesRoute from '@/app/api/v1/sources/route';
import * as healthRoute from '@/app/api/v1/health/route';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { closeHttpRedis } from './http-redis';
import { isHttpError } from './http-error';
import { takeRequest } from './rate-limit';
import { callRoute } from './test-client';

// Issue 11 item 4: per-token (and per-user) rate limits. A low limit in this file's own environment (the suites
// run under the high default), its own Redis prefix, tokens of its own.
const LIMIT = 5;
process.env.LIFEBOAT_RATE_LIMIT_PER_MINUTE = String(LIMIT);
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-ratelimit');

const MARK = uniqueName('ratelimit');
const users: string[] = [];
let userId = '';
const tokens: { id: string; token: string }[] = [];

beforeAll(async () => {
  const user = await db().user.create({ data: { email: `${MARK}@example.test`, name: 'rate limit test', role: 'VIEWER', passwordHash: null } });
  users.push(user.id);
  userId = user.id;
  for (let i = 0; i < 2; i++) tokens.push(await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: `${MARK}-${i}`, role: 'VIEWER' }));
});

afterAll(async () => {
  await db().apiToken.deleteMany({ where: { ownerId: { in: users } } });
  await db().user.deleteMany({ where: { id: { in: users } } });
  closeHttpRedis();
  await disconnectDb();
});

/** Waits out the end of the current minute when it is near, so that one test's requests share one window. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((r) => setTimeout(r, left + 50));
}

const list = (token: string) => callRoute(sourcesRoute.GET, { method: 'GET', url: '/api/v1/sources?limit=1', token });

describe('rate limits', () => {
  it(`answers ${LIMIT} requests a minute per token with RateLimit-* headers, then 429 with Retry-After`, async () => {
    await freshWindow();
    const [first, second] = tokens;
    for (let i = 1; i <= LIMIT; i++) {
      const ok = await list(first!.token);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe(String(LIMIT));
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(LIMIT - i));
      const reset = Number(ok.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      expect(ok.headers.get('ratelimit-policy')).toBe(`${LIMIT};w=60`);
    }
    const refused = await list(first!.token);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { code: 'RATE_LIMITED', details: { limit: LIMIT } } });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    // Refused before anything else is looked at: a bad request is refused the same way (and counted).
    const bad = await callRoute(sourcesRoute.GET, { method: 'GET', url: '/api/v1/sources?limit=0', token: first!.token });
    expect(bad.status).toBe(429);

    // Another token of the same person has its own budget.
    const other = await list(second!.token);
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
  });

  it('does not count requests without credentials (answered 401) or public routes', async () => {
    const anonymous = await callRoute(sourcesRoute.GET, { method: 'GET', url: '/api/v1/sources', token: 'lbt_unknown' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('ratelimit-limit')).toBeNull();
    const health = await callRoute(healthRoute.GET, { method: 'GET', url: '/api/v1/health' });
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('counts a signed-in user on their own, apart from their tokens', async () => {
    await freshWindow();
    const session: Actor = { type: 'user', id: userId, label: 'rate limit test', role: 'VIEWER', userId };
    const now = Date.now();
    for (let i = 1; i <= LIMIT; i++) expect((await takeRequest(session, now))?.remaining).toBe(LIMIT - i);
    const refused = await takeRequest(session, now).catch((e: unknown) => e);
    expect(isHttpError(refused) && refused.status).toBe(429);
    // The next minute starts a new count.
    expect((await takeRequest(session, now + 60_000))?.remaining).toBe(LIMIT - 1);
    // The system (seed, reaper) and requests without an actor are never counted.
    expect(await takeRequest(SYSTEM_ACTOR, now)).toBeNull();
    expect(await takeRequest(null, now)).toBeNull();
  });
});
