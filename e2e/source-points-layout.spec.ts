import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { addSourceAndBackUp, server, withClient } from './fixtures';
import { signIn } from './session';

// The source page's recovery points table with a point of several objects (three databases and the globals) must fit
// the common laptop and desktop widths: the contents column grows with every object, and a table wider than the
// screen hides the row's actions off to the right.

const STEP_MS = 60_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const databases = ['billing', 'accounts', 'inventory_events'].map((d) => `lb_e2e_lay_${d}_${suffix}`);
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

test.describe.configure({ retries: 0 });

test.beforeAll(async () => {
  for (const db of databases) {
    await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(db)}`));
    await withClient(db, (c) =>
      c.query(`CREATE TABLE customer_invoices_archive (id integer PRIMARY KEY, note text NOT NULL);
               CREATE TABLE payment_provider_webhook_events (id integer PRIMARY KEY, body text NOT NULL);
               INSERT INTO customer_invoices_archive SELECT g, 'n ' || g FROM generate_series(1, 300) g;
               INSERT INTO payment_provider_webhook_events SELECT g, 'e ' || g FROM generate_series(1, 200) g;`),
    );
  }
});

test.afterAll(async () => {
  for (const db of databases) await withClient(server().adminDatabase, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(db)} WITH (FORCE)`));
});

test('a point of several objects: the source page fits 1440 and 1280 px screens, the databases listed', async ({ page }) => {
  test.setTimeout(4 * STEP_MS);
  await test.step('sign in', () => signIn(page, { timeout: STEP_MS }));
  const sourceId = await test.step('a source of three databases and the globals, backed up over the API', () =>
    addSourceAndBackUp(page.request, `e2e-layout-${suffix}`, { databases, globals: true }, STEP_MS),
  );

  await test.step('the points table fits, every object listed and the row actions on screen', async () => {
    const dir = process.env.E2E_SCREENSHOT_DIR;
    if (dir) fs.mkdirSync(dir, { recursive: true });
    await page.goto(`/sources/${sourceId}`);
    const row = page.getByTestId('recovery-point-row');
    await expect(row).toHaveCount(1, { timeout: STEP_MS });
    await expect(row.getByTestId('point-object')).toHaveCount(databases.length + 1);
    // The Connection card names the databases as a list, not as a JSON array.
    await expect(page.getByTestId('source-config')).toContainText(databases.join(', '));
    for (const width of [1440, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      if (dir) await page.locator('#recovery-points').screenshot({ path: path.join(dir, `source-points-${width}.png`) });
      const table = page.locator('#recovery-points table');
      const [tableWidth, boxWidth] = await table.evaluate((t) => [t.scrollWidth, (t.parentElement ?? t).clientWidth]);
      expect(tableWidth, `the points table is ${tableWidth} px wide in a ${boxWidth} px box at a ${width} px screen`).toBeLessThanOrEqual(boxWidth);
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(pageWidth, `the source page is ${pageWidth} px wide at ${width} px`).toBeLessThanOrEqual(width);
      const actions = row.locator('td').last();
      const box = await actions.boundingBox();
      expect(box && box.x + box.width, 'the row actions end inside the screen').toBeLessThanOrEqual(width);
    }
  });
});
