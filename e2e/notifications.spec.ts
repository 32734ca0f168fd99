import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs } from './fixtures';
import { signIn } from './session';

// The Notifications page (issue 11, item 3): an admin creates a webhook channel in the UI pointing at a receiver on
// this machine (127.0.0.1, so only through an allow-list entry), presses Send test, sees it succeed and the
// delivery in the channel's log; the receiver got one request, signed with the secret the page showed once.

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const channelName = `e2e-hook-${suffix}`;

interface Hit {
  body: string;
  signature: string | undefined;
}
const hits: Hit[] = [];
let server: http.Server;
let port = 0;

test.beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sig = req.headers['x-lifeboat-signature'];
      hits.push({ body: Buffer.concat(chunks).toString('utf8'), signature: Array.isArray(sig) ? sig[0] : sig });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('received');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** What a receiver does: HMAC-SHA256 over "<t>.<body>" with the channel's secret, compared in constant time. */
function verifies(secret: string, hit: Hit): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hit.signature ?? '');
  if (!m) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${m[1]}.${hit.body}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

test('an admin creates a webhook channel, sends a test and sees it in the delivery log', async ({ page, request }) => {
  test.setTimeout(6 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-notifications-${suffix}`, 'admin'));
  const dialog = page.getByRole('dialog');

  await test.step('sign in and open Notifications from the navigation', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
    await expect(page).toHaveURL(/\/notifications$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Notifications');
  });

  await test.step('a loopback receiver without an allow-list entry is refused under its field', async () => {
    await page.getByRole('button', { name: 'New channel' }).click();
    await dialog.getByLabel('Kind').selectOption('webhook');
    await dialog.getByLabel('Name').fill(channelName);
    await dialog.getByLabel('Receiver URL').fill(`http://127.0.0.1:${port}/lifeboat`);
    await dialog.getByRole('checkbox', { name: /Restore requested/ }).check();
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await expect(dialog.locator('.field-error').first()).toContainText('127.0.0.1 is not a public address (loopback)');
    expect(hits).toHaveLength(0);
  });

  let secret = '';
  await test.step('with the receiver allow-listed it is created, and its signing secret shown once', async () => {
    await dialog.getByLabel('Allowed private networks').fill('127.0.0.1/32');
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await expect(page.getByTestId('channel-created')).toContainText(`Channel “${channelName}” created`);
    secret = (await page.getByTestId('signing-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByTestId('channel-row').filter({ hasText: channelName });
    await expect(row).toContainText('Webhook');
    await expect(row).toContainText(`127.0.0.1:${port}`);
    await expect(row).toContainText('allows 127.0.0.1/32');
    await expect(row).toContainText('Restore requested');
    // The API never shows the URL again.
    const listed = (await api.get('/notification-channels')) as { items: Array<{ name: string; config: Record<string, unknown>; events: string[] }> };
    const stored = listed.items.find((c) => c.name === channelName);
    expect(stored?.config).toEqual({ url: '(sealed)', urlHost: `127.0.0.1:${port}` });
    expect(stored?.events).toContain('restore.requested');
  });

  await test.step('Send test: the page says it arrived, and the receiver got it signed', async () => {
    await page.getByRole('button', { name: `Send test through ${channelName}` }).click();
    await expect(page.getByTestId('test-outcome')).toContainText(`Test sent through “${channelName}”`, { timeout: STEP_MS });
    await expect(page.getByTestId('test-outcome')).toContainText('HTTP 200 received');
    expect(hits).toHaveLength(1);
    expect(verifies(secret, hits[0]!)).toBe(true);
    expect(JSON.parse(hits[0]!.body)).toMatchObject({ event: 'test', summary: expect.stringContaining(channelName) as unknown });
  });

  await test.step('the delivery log shows the test, sent, with the receiver’s answer', async () => {
    const log = page.getByTestId('delivery-log');
    await expect(log).toContainText(`Delivery log: ${channelName}`);
    const delivery = log.getByTestId('delivery-row').first();
    await expect(delivery).toContainText('test');
    await expect(delivery).toContainText('SENT');
    await expect(delivery).toContainText('HTTP 200 received');
    const row = page.getByTestId('channel-row').filter({ hasText: channelName });
    await expect(row).toContainText('SENT');
  });

  await test.step('the page, its log open, fits 1440 and 1280 px screens and a 390 px phone (saved to E2E_SCREENSHOT_DIR when set)', async () => {
    const dir = process.env.E2E_SCREENSHOT_DIR;
    if (dir) fs.mkdirSync(dir, { recursive: true });
    for (const width of [1440, 1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await expect(page.getByTestId('delivery-log')).toBeVisible();
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth, `the Notifications page is ${scrollWidth} px wide at ${width} px`).toBeLessThanOrEqual(width);
      if (dir) await page.screenshot({ path: path.join(dir, `notifications-${width}.png`), fullPage: true });
    }
  });
});
