import crypto from 'node:crypto';
import pg from 'pg';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { createToken } from './cli';

/** REST API v1 over real HTTP against the built app and a real worker: auth, permissions and error shapes. */

const suffix = crypto.randomBytes(4).toString('hex');
const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const pgConfig = {
  host: dbUrl.hostname,
  port: Number(dbUrl.port || 5432),
  user: decodeURIComponent(dbUrl.username || 'postgres'),
};
const sourceDb = `lbapi_src_${suffix}`;
const restoredDb = `lbapi_restored_${suffix}`;

let viewer: string;
let operator: string;
let admin: string;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function admin_pg(sql: string, database = 'postgres') {
  const client = new pg.Client({ ...pgConfig, database });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitForRun(request: APIRequestContext, id: string) {
  for (let i = 0; i < 240; i++) {
    const res = await request.get(`/api/v1/runs/${id}`, { headers: auth(viewer) });
    const run = await res.json();
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${id} did not finish`);
}

test.beforeAll(async () => {
  viewer = createToken(`api-viewer-${suffix}`, 'viewer');
  operator = createToken(`api-operator-${suffix}`, 'operator');
  admin = createToken(`api-admin-${suffix}`, 'admin');
  await admin_pg(`CREATE DATABASE ${sourceDb}`);
  await admin_pg(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g;`, sourceDb);
});

test.afterAll(async () => {
  await admin_pg(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`);
  await admin_pg(`DROP DATABASE IF EXISTS ${restoredDb} WITH (FORCE)`);
});

test('health answers without auth', async ({ request }) => {
  const res = await request.get('/api/v1/health');
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
});

test('401 without credentials or with a bad token', async ({ request }) => {
  for (const headers of [{}, { Authorization: 'Bearer lbt_nope' }, { Authorization: 'Basic abc' }] as Record<string, string>[]) {
    const res = await request.get('/api/v1/sources', { headers });
    expect(res.status()).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
  }
});

test('403 when the role lacks the permission', async ({ request }) => {
  const create = await request.post('/api/v1/sources', {
    headers: auth(viewer),
    data: { kind: 'postgres', name: `x-${suffix}`, config: { host: pgConfig.host, database: 'x', user: 'x' } },
  });
  expect(create.status()).toBe(403);
  expect((await create.json()).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('viewer') });
  expect((await request.get('/api/v1/tokens', { headers: auth(operator) })).status()).toBe(403);
  expect((await request.get('/api/v1/sources', { headers: auth(viewer) })).status()).toBe(200);
});

test('404 for unknown ids', async ({ request }) => {
  for (const url of [
    `/api/v1/sources/${crypto.randomUUID()}`,
    '/api/v1/sources/not-a-uuid',
    `/api/v1/runs/${crypto.randomUUID()}`,
    `/api/v1/sources/${crypto.randomUUID()}/recovery-points`,
    `/api/v1/recovery-points/${crypto.randomUUID()}`,
    '/api/v1/recovery-points/not-a-uuid',
  ]) {
    const res = await request.get(url, { headers: auth(viewer) });
    expect(res.status(), url).toBe(404);
    expect((await res.json()).error.code).toBe('NOT_FOUND');
  }
  const backup = await request.post(`/api/v1/sources/${crypto.randomUUID()}/backups`, { headers: auth(operator) });
  expect(backup.status()).toBe(404);
});

test('422 and 400 for bad input, with a readable message', async ({ request }) => {
  const missing = await request.post('/api/v1/sources', { headers: auth(operator), data: { kind: 'postgres', name: 'n', config: {} } });
  expect(missing.status()).toBe(422);
  const body = await missing.json();
  expect(body.error.code).toBe('VALIDATION');
  expect(body.error.message).toMatch(/config\.host/);

  const kind = await request.post('/api/v1/sources', { headers: auth(operator), data: { kind: 'oracle', name: 'n', config: {} } });
  expect(kind.status()).toBe(422);
  expect((await kind.json()).error.message).toMatch(/kind/);

  const unreachable = await request.post('/api/v1/sources', {
    headers: auth(operator),
    data: { kind: 'postgres', name: `unreachable-${suffix}`, config: { host: '127.0.0.1', port: 1, database: 'x', user: 'x' } },
  });
  expect(unreachable.status()).toBe(422);
  expect((await unreachable.json()).error.code).toBe('CONNECTION_FAILED');

  const badJson = await request.post('/api/v1/sources', {
    headers: { ...auth(operator), 'content-type': 'application/json' },
    data: Buffer.from('{"kind": '),
  });
  expect(badJson.status()).toBe(400);
  expect((await badJson.json()).error.code).toBe('BAD_REQUEST');
});

test('create a source, back it up, restore it: 201/202 and the run lifecycle over the API', async ({ request }) => {
  const name = `api-src-${suffix}`;
  const created = await request.post('/api/v1/sources', {
    headers: auth(operator),
    data: { kind: 'postgres', name, config: { ...pgConfig, database: sourceDb, password: 'not-needed-on-trust' } },
  });
  expect(created.status()).toBe(201);
  const source = await created.json();
  expect(source).toMatchObject({ name, kind: 'postgres', hasPassword: true, config: { database: sourceDb } });
  expect(JSON.stringify(source)).not.toContain('not-needed-on-trust');

  const dup = await request.post('/api/v1/sources', {
    headers: auth(operator),
    data: { kind: 'postgres', name, config: { ...pgConfig, database: sourceDb } },
  });
  expect(dup.status()).toBe(409);

  const listed = await (await request.get('/api/v1/sources', { headers: auth(viewer) })).json();
  expect(listed.items.map((s: { id: string }) => s.id)).toContain(source.id);

  const backupRes = await request.post(`/api/v1/sources/${source.id}/backups`, { headers: auth(operator) });
  expect(backupRes.status()).toBe(202);
  const backup = await backupRes.json();
  expect(backup).toMatchObject({ kind: 'BACKUP', status: 'QUEUED', sourceId: source.id });

  const runs = await (await request.get(`/api/v1/runs?sourceId=${source.id}`, { headers: auth(viewer) })).json();
  expect(runs.items.map((r: { id: string }) => r.id)).toContain(backup.id);
  expect((await request.get('/api/v1/runs?sourceId=nope', { headers: auth(viewer) })).status()).toBe(422);

  const done = await waitForRun(request, backup.id);
  expect(done.status, done.error).toBe('SUCCEEDED');

  const points = await (await request.get(`/api/v1/sources/${source.id}/recovery-points`, { headers: auth(viewer) })).json();
  expect(points.items).toHaveLength(1);
  const point = points.items[0];
  expect(point).toMatchObject({ runId: backup.id, engine: 'postgres', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const one = await request.get(`/api/v1/recovery-points/${point.id}`, { headers: auth(viewer) });
  expect(one.status()).toBe(200);
  expect(await one.json()).toEqual(point);

  const badTarget = await request.post(`/api/v1/recovery-points/${point.id}/restores`, { headers: auth(operator), data: { target: {} } });
  expect(badTarget.status()).toBe(422);
  const forbidden = await request.post(`/api/v1/recovery-points/${point.id}/restores`, {
    headers: auth(viewer),
    data: { target: { database: restoredDb } },
  });
  expect(forbidden.status()).toBe(403);

  const restoreRes = await request.post(`/api/v1/recovery-points/${point.id}/restores`, {
    headers: auth(operator),
    data: { target: { database: restoredDb } },
  });
  expect(restoreRes.status()).toBe(202);
  const restore = await restoreRes.json();
  expect(restore).toMatchObject({ kind: 'RESTORE', status: 'QUEUED', recoveryPointId: point.id });
  const restored = await waitForRun(request, restore.id);
  expect(restored.status, restored.error).toBe('SUCCEEDED');
  const rows = await admin_pg('SELECT count(*)::int AS n FROM t', restoredDb);
  expect(rows.rows[0].n).toBe(100);

  // Checked when requested (defect 9): an existing database is 409, a reserved name 422, and no run is queued.
  const again = await request.post(`/api/v1/recovery-points/${point.id}/restores`, { headers: auth(operator), data: { target: { database: restoredDb } } });
  expect(again.status()).toBe(409);
  expect((await again.json()).error.code).toBe('CONFLICT');
  const reserved = await request.post(`/api/v1/recovery-points/${point.id}/restores`, { headers: auth(operator), data: { target: { database: 'template1' } } });
  expect(reserved.status()).toBe(422);
  expect((await reserved.json()).error.message).toMatch(/target\.database/);
  const engines = await (await request.get('/api/v1/engines', { headers: auth(viewer) })).json();
  expect(engines.items).toContainEqual(expect.objectContaining({ kind: 'postgres', backupTypes: ['full'], restoreModes: [expect.objectContaining({ mode: 'new', destructive: false }), expect.objectContaining({ mode: 'in-place', destructive: true })] }));

  const cancelDone = await request.post(`/api/v1/runs/${backup.id}/cancel`, { headers: auth(operator) });
  expect(cancelDone.status()).toBe(409);
  expect((await cancelDone.json()).error.code).toBe('INVALID_STATE');

  const logs = await (await request.get(`/api/v1/runs/${backup.id}/logs`, { headers: auth(viewer) })).json();
  expect(logs.items.length).toBeGreaterThan(0);

  const audit = await (await request.get(`/api/v1/audit?targetId=${backup.id}`, { headers: auth(admin) })).json();
  expect(audit.items.map((e: { action: string }) => e.action).sort()).toEqual(['backup.request', 'run.finish']);
});
