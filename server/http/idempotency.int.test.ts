import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as backupsRoute from '@/app/api/v1/sources/[id]/backups/route';
import * as sourcesRoute from '@/app/api/v1/sources/route';
import * as testConnectionRoute from '@/app/api/v1/sources/test-connection/route';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { unusedDestinationPath } from '@/server/testing/paths';
import { closeHttpRedis, httpRedis } from './http-redis';
import { callRoute } from './test-client';

// Issue 11 item 4: a POST that starts work runs once per Idempotency-Key. Real route handlers, real Redis (this
// file's own prefix: the backups it queues sit there, no worker consumes them), real catalog.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-idem');

const MARK = uniqueName('idem');
const made = { users: [] as string[], sources: [] as string[], destination: '', policy: '' };
let token = '';
let otherToken = '';
let sourceId = '';

beforeAll(async () => {
  for (const label of ['a', 'b']) {
    const user = await db().user.create({ data: { email: `${MARK}-${label}@example.test`, name: 'idempotency test', role: 'ADMIN', passwordHash: null } });
    made.users.push(user.id);
    const { token: t } = await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: MARK, role: 'ADMIN' });
    if (label === 'a') token = t;
    else otherToken = t;
  }
  const destination = await db().destination.create({ data: { name: `${MARK}-dest`, kind: 'local', config: { path: unusedDestinationPath() } } });
  made.destination = destination.id;
  const policy = await db().policy.create({ data: { name: `${MARK}-policy`, destinationId: destination.id } });
  made.policy = policy.id;
  const source = await db().source.create({
    data: { name: `${MARK}-src`, kind: 'postgres', config: { host: `${MARK}.invalid`, port: 5432, database: 'app', user: 'app' }, policyId: policy.id },
  });
  sourceId = source.id;
  made.sources.push(source.id);
});

afterAll(async () => {
  const sources = await db().source.findMany({ where: { OR: [{ id: { in: made.sources } }, { name: { startsWith: MARK } }] }, select: { id: true } });
  const ids = sources.map((s) => s.id);
  await db().run.deleteMany({ where: { sourceId: { in: ids } } });
  await db().source.deleteMany({ where: { id: { in: ids } } });
  await db().policy.deleteMany({ where: { id: made.policy } });
  await db().destination.deleteMany({ where: { id: made.destination } });
  await db().apiToken.deleteMany({ where: { ownerId: { in: made.users } } });
  await db().user.deleteMany({ where: { id: { in: made.users } } });
  closeHttpRedis();
  await closeProducer();
  await disconnectDb();
});

const backup = (key: string | null, as = token) =>
  callRoute(backupsRoute.POST, {
    method: 'POST',
    url: `/api/v1/sources/${sourceId}/backups`,
    params: { id: sourceId },
    token: as,
    headers: key === null ? {} : { 'idempotency-key': key },
  });

const runsOfSource = () => db().run.count({ where: { sourceId } });

describe('Idempotency-Key on POST', () => {
  it('a retry answers the first answer (status and body) without starting a second backup', async () => {
    const key = crypto.randomUUID();
    const before = await runsOfSource();
    const first = await backup(key);
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await backup(key);
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await runsOfSource()).toBe(before + 1);

    // Another key, or no key: new work each time.
    const other = await backup(crypto.randomUUID());
    expect((other.json as { id: string }).id).not.toBe((first.json as { id: string }).id);
    await backup(null);
    expect(await runsOfSource()).toBe(before + 3);
  });

  it('is per actor: the same key from another token is another request', async () => {
    const key = crypto.randomUUID();
    const mine = await backup(key);
    const theirs = await backup(key, otherToken);
    expect(theirs.status).toBe(202);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect((theirs.json as { id: string }).id).not.toBe((mine.json as { id: string }).id);
  });

  it('the same key with another body is 422 IDEMPOTENCY_KEY_REUSED, and nothing is created', async () => {
    const key = crypto.randomUUID();
    const body = (name: string) => ({ kind: 'postgres', name, config: { host: `${MARK}.invalid`, port: 5432, database: 'app', user: 'app' }, testConnection: false });
    const create = (b: unknown) => callRoute(sourcesRoute.POST, { method: 'POST', url: '/api/v1/sources', token, body: b, headers: { 'idempotency-key': key } });
    const first = await create(body(`${MARK}-one`));
    expect(first.status).toBe(201);
    const reused = await create(body(`${MARK}-two`));
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await db().source.count({ where: { name: `${MARK}-two` } })).toBe(0);
    // The same body with its keys in another order is the same request.
    const b = body(`${MARK}-one`);
    const reordered = { testConnection: b.testConnection, config: b.config, name: b.name, kind: b.kind };
    const replay = await create(reordered);
    expect(replay.status).toBe(201);
    expect(replay.json).toEqual(first.json);
    expect(await db().source.count({ where: { name: `${MARK}-one` } })).toBe(1);
  });

  it('a failure is not stored: the retry runs again', async () => {
    const key = crypto.randomUUID();
    const create = (b: unknown) => callRoute(sourcesRoute.POST, { method: 'POST', url: '/api/v1/sources', token, body: b, headers: { 'idempotency-key': key } });
    const refused = await create({ kind: 'postgres', name: `${MARK}-bad`, config: {}, testConnection: false });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ error: { code: 'VALIDATION' } });
    const fixed = await create({ kind: 'postgres', name: `${MARK}-fixed`, config: { host: `${MARK}.invalid`, port: 5432, database: 'app', user: 'app' }, testConnection: false });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a duplicate while the first is still running is 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    // A server that accepts connections and never answers: the first probe waits on it until we hang up.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const key = crypto.randomUUID();
    const probe = () =>
      callRoute(testConnectionRoute.POST, {
        method: 'POST',
        url: '/api/v1/sources/test-connection',
        token,
        body: { kind: 'postgres', config: { host: '127.0.0.1', port, database: 'app', user: 'app' } },
        headers: { 'idempotency-key': key },
      });
    const first = probe();
    try {
      await expect.poll(() => sockets.length, { timeout: 10_000 }).toBeGreaterThan(0);
      const duplicate = await probe();
      expect(duplicate.status).toBe(409);
      expect(duplicate.json).toMatchObject({ error: { code: 'IDEMPOTENCY_IN_PROGRESS' } });
      expect(duplicate.headers.get('retry-after')).toBe('1');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.json).toMatchObject({ ok: false });
    // Done now: the retry gets that answer.
    const replay = await probe();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(answered.text);
  });

  it('stores the answer sealed, for a day', async () => {
    const key = crypto.randomUUID();
    const first = await backup(key);
    const runId = (first.json as { id: string }).id;
    const keys = await httpRedis().keys(`${process.env.LIFEBOAT_QUEUE_PREFIX}:idempotency:token:*`);
    const values = await Promise.all(keys.map(async (k) => ({ k, v: (await httpRedis().get(k)) ?? '', ttl: await httpRedis().pttl(k) })));
    expect(values.length).toBeGreaterThan(0);
    // Neither the answer nor the client's key is readable from Redis.
    expect(values.some(({ k, v }) => v.includes(runId) || k.includes(key))).toBe(false);
    const ttls = values.map((x) => x.ttl);
    expect(Math.max(...ttls)).toBeGreaterThan(23 * 3600 * 1000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(24 * 3600 * 1000);
  });

  it('refuses a key that is not one (422 naming the header)', async () => {
    const long = await backup('k'.repeat(256));
    expect(long.status).toBe(422);
    expect(long.json).toMatchObject({ error: { code: 'VALIDATION', details: { issues: [{ path: ['headers', 'idempotency-key'] }] } } });
    const spaced = await backup('two words');
    expect(spaced.status).toBe(422);
  });
});
