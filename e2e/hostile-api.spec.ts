import crypto from 'node:crypto';
import { expect, test, type APIResponse } from '@playwright/test';
import { createToken } from './cli';

/**
 * The HTTP edge against hostile input (issue 7, defect 7): control characters, oversized and non-JSON bodies, unknown
 * routes and methods, unknown ids. Every answer is the JSON error shape, never a 500, an HTML page or an empty body.
 */

const suffix = crypto.randomBytes(4).toString('hex');
let admin: string;
const auth = () => ({ Authorization: `Bearer ${admin}` });

test.beforeAll(() => {
  admin = createToken(`hostile-admin-${suffix}`, 'admin');
});

async function expectError(res: APIResponse, status: number, code: string): Promise<string> {
  expect(res.status(), await res.text()).toBe(status);
  expect(res.headers()['content-type']).toContain('application/json');
  const body = await res.json();
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  return body.error.message as string;
}

test('a NUL character is refused with 422 naming the field, wherever it is', async ({ request }) => {
  const local = await request.post('/api/v1/destinations', {
    headers: auth(),
    data: { name: `nul-local-${suffix}`, kind: 'local', config: { path: '/tmp/lifeboat-nul\u0000x' } },
  });
  expect(await expectError(local, 422, 'VALIDATION')).toContain('body.config.path');

  const s3 = await request.post('/api/v1/destinations', {
    headers: auth(),
    data: { name: `nul-s3-${suffix}`, kind: 's3', config: { region: 'us-east-1', bucket: 'lifeboat-nul', prefix: 'a\u0000b' } },
  });
  expect(await expectError(s3, 422, 'VALIDATION')).toContain('body.config.prefix');

  const policy = await request.post('/api/v1/policies', {
    headers: auth(),
    data: { name: `nul\u0000policy-${suffix}`, destinationId: crypto.randomUUID() },
  });
  expect(await expectError(policy, 422, 'VALIDATION')).toContain('body.name');

  const hold = await request.post(`/api/v1/recovery-points/${crypto.randomUUID()}/hold`, {
    headers: auth(),
    data: { hold: true, reason: 'case\u0000 42' },
  });
  expect(await expectError(hold, 422, 'VALIDATION')).toContain('body.reason');

  const audit = await request.get('/api/v1/audit?targetId=%00', { headers: auth() });
  expect(await expectError(audit, 422, 'VALIDATION')).toContain('query.targetId');

  // Other control characters too (ESC, DEL, a C1 code), and in a path parameter.
  for (const ch of ['\u001b', '\u007f', '\u0085']) {
    const res = await request.post('/api/v1/policies', { headers: auth(), data: { name: `x${ch}y`, destinationId: crypto.randomUUID() } });
    expect(await expectError(res, 422, 'VALIDATION')).toContain('body.name');
  }
  const param = await request.get('/api/v1/runs/%00', { headers: auth() });
  expect(await expectError(param, 422, 'VALIDATION')).toContain('params.id');
});

test('a body over 1 MiB is refused with 413', async ({ request }) => {
  const res = await request.post('/api/v1/policies', {
    headers: { ...auth(), 'content-type': 'application/json' },
    data: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), destinationId: crypto.randomUUID() }),
  });
  await expectError(res, 413, 'PAYLOAD_TOO_LARGE');
});

test('a body that is not JSON is refused with 415', async ({ request }) => {
  const res = await request.post('/api/v1/policies', {
    headers: { ...auth(), 'content-type': 'text/plain' },
    data: JSON.stringify({ name: `plain-${suffix}`, destinationId: crypto.randomUUID() }),
  });
  await expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('unknown routes answer 404 and wrong methods 405, both as JSON', async ({ request }) => {
  await expectError(await request.get('/api/v1/nope', { headers: auth() }), 404, 'NOT_FOUND');
  await expectError(await request.post('/api/v1/runs/x/y/z', { headers: auth(), data: {} }), 404, 'NOT_FOUND');
  await expectError(await request.get('/api/nope'), 404, 'NOT_FOUND');

  const wrong = await request.delete('/api/v1/audit', { headers: auth() });
  await expectError(wrong, 405, 'METHOD_NOT_ALLOWED');
  expect(wrong.headers()['allow']).toContain('GET');
  await expectError(await request.put('/api/v1/sources', { headers: auth(), data: {} }), 405, 'METHOD_NOT_ALLOWED');
});

test('unknown runs are 404 for their logs as for themselves', async ({ request }) => {
  const id = crypto.randomUUID();
  await expectError(await request.get(`/api/v1/runs/${id}`, { headers: auth() }), 404, 'NOT_FOUND');
  await expectError(await request.get(`/api/v1/runs/${id}/logs`, { headers: auth() }), 404, 'NOT_FOUND');
});

test('ids that are not uuids are 404, and a long one is not echoed in full', async ({ request }) => {
  const long = 'a'.repeat(5000);
  for (const url of [`/api/v1/runs/${long}`, `/api/v1/runs/${long}/logs`, `/api/v1/sources/${long}`, `/api/v1/recovery-points/${long}`]) {
    const res = await request.get(url, { headers: auth() });
    const message = await expectError(res, 404, 'NOT_FOUND');
    expect(message.length).toBeLessThan(200);
    expect(message).not.toContain(long);
  }
  for (const url of [`/api/v1/recovery-points/not-a-uuid/hold`, `/api/v1/keys/not-a-uuid/shred`, `/api/v1/sources/not-a-uuid/backups`]) {
    await expectError(await request.post(url, { headers: auth(), data: { hold: true, reason: 'r' } }), 404, 'NOT_FOUND');
  }
});
