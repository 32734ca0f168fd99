import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { addSourceAndBackUp, server, withClient } from './fixtures';
import { signIn } from './session';

// Issue 10 item 6: a recovery point's object downloads decoded from the source page. The backup is made over the API
// (the signed-in page's session), the download through the UI's link; the saved file must be the dump itself, which
// pg_restore lists without Lifeboat.

// A backup runs in the worker; 60 s covers a small one on a slow CI machine.
const STEP_MS = 60_000;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_dl_${suffix}`;
const sourceName = `e2e-download-${suffix}`;
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

test.describe.configure({ retries: 0 });

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) =>
    c.query(`CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
             INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;`),
  );
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(sourceDb)} WITH (FORCE)`));
});

test('download a recovery point object from the source page: the decoded dump, listed by pg_restore', async ({ page }, testInfo) => {
  test.setTimeout(4 * STEP_MS);
  await test.step('sign in', () => signIn(page, { timeout: STEP_MS }));

  const sourceId = await test.step('add the source and back it up over the API', () =>
    addSourceAndBackUp(page.request, sourceName, { database: sourceDb }, STEP_MS),
  );

  await test.step('the source page lists what the point holds, with a Download link', async () => {
    await page.goto(`/sources/${sourceId}`);
    const row = page.getByTestId('recovery-point-row');
    await expect(row).toHaveCount(1, { timeout: STEP_MS });
    const object = row.getByTestId('point-object');
    await expect(object).toHaveCount(1);
    await expect(object).toHaveAttribute('data-role', 'data');
    await expect(object).toContainText(/data\s+\d+(\.\d)? kB/);
    // As in screens.spec.ts: with E2E_SCREENSHOT_DIR set, the points table is saved there for a look.
    if (process.env.E2E_SCREENSHOT_DIR) await page.locator('#recovery-points').screenshot({ path: `${process.env.E2E_SCREENSHOT_DIR}/download-points.png` });
  });

  await test.step('download it and read it with pg_restore', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download data' }).click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${sourceName}-\\d{4}-\\d{2}-\\d{2}T\\d{4}Z-data\\.pgdump$`));
    const file = testInfo.outputPath('downloaded.pgdump');
    await download.saveAs(file);
    expect(await download.failure()).toBeNull();
    expect(fs.readFileSync(file).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    const list = execFileSync('pg_restore', ['--list', file]).toString();
    expect(list).toMatch(/TABLE DATA public customers/);
    // The page is still the source page: the answer was an attachment.
    await expect(page).toHaveURL(new RegExp(`/sources/${sourceId}$`));
  });

  await test.step('the download is in the audit trail', async () => {
    const points = (await (await page.request.get(`/api/v1/sources/${sourceId}/recovery-points`)).json()) as { items: { id: string }[] };
    const res = await page.request.get(`/api/v1/audit?targetId=${points.items[0]!.id}`);
    expect(res.status()).toBe(200);
    const { items } = (await res.json()) as { items: { action: string; details: { role?: string } }[] };
    expect(items.find((e) => e.action === 'recovery-point.download')?.details.role).toBe('data');
  });
});
