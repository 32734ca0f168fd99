import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { Redis } from 'ioredis';
import { signIn as signInAsAdmin } from './session';

// A Redis source through the console: added in the new-source form (a wrong port refused under its field, then the
// connection test), backed up, restored into a scratch instance whose address and password the run page shows, and
// stopped early with "Stop instance". The Redis server is this spec's own: a redis-server on a free loopback port
// with a password and a few keys, started and stopped here. The worker runs on this machine, so the scratch instance
// it starts (on its loopback) is reachable from the spec too.

// Each backup/restore runs in the worker; 60 s per step covers a small one on a slow CI machine (a snapshot waits the
// server's repl-diskless-sync-delay, 5 s, first).
const STEP_MS = 60_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceName = `e2e-redis-${suffix}`;
const password = `e2e-redis-pw-${crypto.randomBytes(8).toString('hex')}`;

let dir: string;
let port: number;
let child: ChildProcess;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => resolve(p));
    });
  });
}

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: p });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A client that fails at once instead of reconnecting forever. */
async function connect(p: number, pw: string, db = 0): Promise<Redis> {
  const c = new Redis({ host: '127.0.0.1', port: p, password: pw, db, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

test.describe.configure({ retries: 0 });

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-redis-'));
  port = await freePort();
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    conf,
    ['bind 127.0.0.1', `port ${port}`, `requirepass "${password}"`, `dir "${dir}"`, 'save ""', 'appendonly no', `logfile "${path.join(dir, 'redis.log')}"`, ''].join('\n'),
    { mode: 0o600 },
  );
  // The password is in the config file, never in argv.
  child = spawn('redis-server', [conf], { stdio: 'ignore' });
  for (let i = 0; !(await listening(port)); i += 1) {
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const c = await connect(port, password);
  await c.set('greeting', 'hello from the e2e source');
  await c.hset('user:1', { name: 'Ada', role: 'admin' });
  await c.rpush('queue', 'a', 'b', 'c');
  await c.select(2);
  await c.set('other-db', 'kept too');
  c.disconnect();
});

test.afterAll(async () => {
  child?.kill('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const signIn = (page: Page) => signInAsAdmin(page, { timeout: STEP_MS });

test('add a Redis source, back it up, restore it into a scratch instance and stop it early', async ({ page }) => {
  test.setTimeout(6 * STEP_MS);
  await test.step('sign in', () => signIn(page));

  await test.step('add the source: a bad port is refused under its field, then the connection test passes', async () => {
    await page.getByRole('link', { name: 'Add source' }).click();
    await expect(page).toHaveURL(/\/sources\/new$/);
    await page.getByLabel('Kind').selectOption({ label: 'Redis' });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add a Redis source');
    await page.getByLabel('Name', { exact: true }).fill(sourceName);
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill('not-a-port');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.locator('#source-config-port-note')).toHaveText(/port must be a number from 1 to 65535/);
    await expect(page.getByLabel('Port', { exact: true })).toHaveAttribute('aria-invalid', 'true');

    await page.getByLabel('Port', { exact: true }).fill(String(port));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.getByTestId('test-connection-result')).toContainText('Connection OK', { timeout: STEP_MS });
    await expect(page.getByTestId('test-connection-result')).toContainText('Redis');

    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page).toHaveURL(new RegExp(`/sources/${UUID.source}$`), { timeout: STEP_MS });
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(sourceName);
    await expect(page.getByTestId('source-config')).toContainText(String(port));
    // The password is sealed, never shown.
    await expect(page.locator('body')).not.toContainText(password);
  });

  await test.step('back up now and watch it succeed', async () => {
    await page.getByRole('button', { name: 'Back up now' }).click();
    await expect(page).toHaveURL(new RegExp(`/runs/${UUID.source}$`), { timeout: STEP_MS });
    await expect(page.getByTestId('run-status')).toHaveText('SUCCEEDED', { timeout: STEP_MS });
  });

  let scratch = { address: '', password: '' };
  await test.step('restore the point into a scratch instance; the run page shows where it runs', async () => {
    await page.getByTestId('recovery-points-link').click();
    const points = page.getByTestId('recovery-point-row');
    await expect(points).toHaveCount(1, { timeout: STEP_MS });
    // Keys per database and memory, where the catalog records the backup's details for the point.
    const sourceId = /\/sources\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const listed = (await (await page.request.get(`/api/v1/sources/${sourceId}/recovery-points`)).json()) as Array<{ objects?: unknown }>;
    if (Array.isArray(listed[0]?.objects)) {
      const contents = points.first().getByTestId('point-objects');
      await expect(contents).toContainText('db0 3 keys');
      await expect(contents).toContainText('db2 1 key');
    }

    await points.first().getByRole('button', { name: 'Restore' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore recovery point' });
    await expect(dialog.getByLabel('Into a scratch instance')).toBeChecked();
    // A scratch instance asks only for its lifetime; the server fields are a replay's.
    await expect(dialog.getByLabel('Scratch instance lifetime (seconds)')).toBeVisible();
    await expect(dialog.getByLabel('Target host')).toHaveCount(0);
    await dialog.getByLabel('Replay into a server', { exact: true }).check();
    await expect(dialog.getByLabel('Target host')).toBeVisible();
    await expect(dialog.getByLabel('Scratch instance lifetime (seconds)')).toHaveCount(0);
    await dialog.getByLabel('Into a scratch instance').check();
    await expect(dialog.getByLabel('Target host')).toHaveCount(0);
    await dialog.getByLabel('Reason').fill('e2e: check that the Redis backup restores');
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    await expect(page).toHaveURL(new RegExp(`/runs/${UUID.source}$`), { timeout: STEP_MS });
    await expect(page.getByTestId('run-status')).toHaveText('SUCCEEDED', { timeout: STEP_MS });

    const card = page.getByTestId('restored-instance');
    await expect(card.getByTestId('result-address')).toHaveText(/^127\.0\.0\.1:\d+$/);
    await expect(card.getByTestId('result-keys')).toHaveText('db0: 3, db2: 1');
    await expect(card.getByTestId('result-state').locator('[data-state="running"]')).toContainText(/\d/);
    await expect(card.getByTestId('result-password')).toHaveText('••••••••');
    await card.getByRole('button', { name: 'Reveal' }).click();
    scratch = { address: (await card.getByTestId('result-address').innerText()).trim(), password: (await card.getByTestId('result-password').innerText()).trim() };
    expect(scratch.password).not.toBe('••••••••');
  });

  const scratchPort = () => Number(scratch.address.split(':')[1]);
  await test.step('the scratch instance holds the data, with its own password', async () => {
    const c = await connect(scratchPort(), scratch.password);
    expect(await c.get('greeting')).toBe('hello from the e2e source');
    expect(await c.hgetall('user:1')).toEqual({ name: 'Ada', role: 'admin' });
    expect(await c.lrange('queue', 0, -1)).toEqual(['a', 'b', 'c']);
    await c.select(2);
    expect(await c.get('other-db')).toBe('kept too');
    c.disconnect();
  });

  await test.step('Stop instance stops it, and the run says when', async () => {
    const card = page.getByTestId('restored-instance');
    await card.getByRole('button', { name: 'Stop instance' }).click();
    await expect(card.getByTestId('result-state').locator('[data-state="stopped"]')).toBeVisible();
    await expect(card).toContainText('Stopped');
    await expect(card.getByRole('button', { name: 'Stop instance' })).toHaveCount(0);
    await expect.poll(() => listening(scratchPort()), { timeout: STEP_MS }).toBe(false);
    // Stopped once: a second stop has nothing to stop.
    const runId = /\/runs\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const again = await page.request.post(`/api/v1/runs/${runId}/stop`);
    expect(again.status()).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('INVALID_STATE');
  });
});
