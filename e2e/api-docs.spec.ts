import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { signIn } from './session';

// Issue 11 item 4, over real HTTP against the built server: the OpenAPI document without credentials, the reference
// page with "try it" from a signed-in browser, an Idempotency-Key honoured and the rate-limit headers on the answers.

const suffix = crypto.randomBytes(4).toString('hex');

test('GET /api/v1/openapi.json is public OpenAPI 3.1', async ({ request }) => {
  const res = await request.get('/api/v1/openapi.json');
  expect(res.status()).toBe(200);
  const doc = await res.json();
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.paths['/api/v1/sources'].get.responses['200'].content['application/json'].schema).toBeDefined();
  expect(doc.components.securitySchemes).toMatchObject({ bearerToken: { type: 'http', scheme: 'bearer' }, sessionCookie: { type: 'apiKey', in: 'cookie' } });
});

test('a POST with an Idempotency-Key runs once; answers carry RateLimit-* headers', async ({ request }) => {
  const headers = { Authorization: `Bearer ${createToken(`e2e-idem-${suffix}`, 'admin')}`, 'Idempotency-Key': crypto.randomUUID() };
  const data = { kind: 'postgres', name: `e2e-idem-${suffix}`, config: { host: 'e2e-idem.invalid', port: 5432, database: 'app', user: 'app' }, testConnection: false };
  const first = await request.post('/api/v1/sources', { headers, data });
  expect(first.status(), await first.text()).toBe(201);
  expect(Number(first.headers()['ratelimit-limit'])).toBeGreaterThan(0);
  expect(first.headers()['ratelimit-remaining']).toMatch(/^\d+$/);
  const again = await request.post('/api/v1/sources', { headers, data });
  expect(again.status()).toBe(201);
  expect(again.headers()['idempotent-replayed']).toBe('true');
  expect(await again.json()).toEqual(await first.json());
  const other = await request.post('/api/v1/sources', { headers, data: { ...data, name: `e2e-idem-${suffix}-b` } });
  expect(other.status()).toBe(422);
  expect((await other.json()).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  const page = await request.get(`/api/v1/sources?limit=1`, { headers: { Authorization: headers.Authorization } });
  expect(await page.json()).toMatchObject({ items: [expect.any(Object)], nextCursor: expect.any(String) });
  await request.delete(`/api/v1/sources/${(await first.json()).id}`, { headers: { Authorization: headers.Authorization } });
});

test('the reference page lists the operations and tries a GET with the session', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, { timeout: 60_000 });
  await page.goto('/api-docs');
  await expect(page.getByRole('heading', { name: 'Lifeboat API' })).toBeVisible();
  await page.getByLabel('Filter').fill('list sources');
  const operation = page.locator('details', { hasText: 'List sources' }).first();
  await operation.locator('summary').first().click();
  await expect(operation.getByText('inventory:read')).toBeVisible();
  await operation.getByRole('button', { name: 'GET /api/v1/sources' }).click();
  await expect(operation.locator('pre', { hasText: 'HTTP 200' })).toContainText('"nextCursor"');
  await expect(operation.locator('pre', { hasText: 'HTTP 200' })).toContainText('ratelimit-limit');
});
