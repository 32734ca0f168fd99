import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server, withClient } from './fixtures';
import { signIn } from './session';

// The overview is the first page after sign-in: compliance per tier, and each source's status with its achieved
// RPO. A source in a service of its own tier, with a scheduled policy and one backup but no restore, is UNKNOWN (no
// restore evidence for the RTO) with an achieved RPO: what the dashboard must say, from the evidence.
// Screenshots at 1440 px and 390 px go to test-results/ for the note.

// A backup of a tiny database runs in the worker; 60 s covers it on a slow CI machine.
const STEP_MS = 60_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_overview_${suffix}`;
const sourceName = `e2e-overview-${suffix}`;
const tierName = `e2e-tier-${suffix}`;
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) => c.query('CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2)'));
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(sourceDb)} WITH (FORCE)`));
});

test('the overview shows tier compliance and a source UNKNOWN with its achieved RPO', async ({ page, request }) => {
  test.setTimeout(5 * STEP_MS);
  const s = server();
  const api = apiAs(request, createToken(`e2e-overview-${suffix}`, 'admin'));

  await test.step('a tier, a service, a scheduled policy, a source in them, and one backup (over the API)', async () => {
    // RPO 2 days against a daily schedule: the next backup comes well before the target runs out (not AT_RISK).
    const tier = (await api.post('/tiers', { name: tierName, rpoSeconds: 172_800, rtoSeconds: 86_400 })) as { id: string };
    const service = (await api.post('/services', { name: `e2e-service-${suffix}`, tierId: tier.id })) as { id: string };
    const destinations = (await api.get('/destinations')) as { items: Array<{ id: string; isDefault: boolean }> };
    const destinationId = destinations.items.find((d) => d.isDefault)!.id;
    // Daily at 03:00 UTC: protects the source (not UNPROTECTED) without firing during the run.
    const policy = (await api.post('/policies', {
      name: `e2e-overview-policy-${suffix}`,
      destinationId,
      encrypt: false,
      schedules: [{ kind: 'backup', cron: '0 3 * * *', timezone: 'UTC' }],
    })) as { id: string };
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      policyId: policy.id,
      serviceId: service.id,
      config: { host: s.host, port: s.port, database: sourceDb, user: s.user, ...(s.password ? { password: s.password } : {}) },
    })) as { id: string };
    const run = (await api.post(`/sources/${source.id}/backups`)) as { id: string };
    await expect
      .poll(async () => ((await api.get(`/runs/${run.id}`)) as { status: string }).status, { timeout: STEP_MS, message: 'the backup succeeds' })
      .toBe('SUCCEEDED');
  });

  await test.step('sign in; the landing page is the overview', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.goto('/');
    await expect(page).toHaveURL(/\/overview$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Overview');
  });

  await test.step('tier cards: the seeded tier-1-critical and ours, 0 of 1 within target', async () => {
    await expect(page.getByRole('article', { name: 'tier-1-critical', exact: true })).toBeVisible({ timeout: STEP_MS });
    await expect(page.getByRole('article', { name: tierName, exact: true }).getByTestId('tier-compliance')).toHaveText(`${tierName}: 0 of 1 source within target, 0 %`);
  });

  await test.step('the source is UNKNOWN (no restore yet) with its achieved RPO against the tier target', async () => {
    const row = page.getByTestId('slo-source-row').filter({ hasText: sourceName });
    await expect(row.getByTestId('slo-status')).toHaveAttribute('data-status', 'UNKNOWN');
    // "12 s / 2 d": a figure achieved (not "—"), against the tier's target.
    await expect(row.getByRole('cell').nth(3)).toHaveText(/^\d+ (s|min)( \d+ s)? \/ 2 d$/);
    const out = page.getByTestId('out-of-target-row').filter({ hasText: sourceName });
    await expect(out).toContainText('No restore yet: restore a point to measure the RTO');
  });

  await test.step('screenshots at 1440 px and 390 px', async () => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.screenshot({ path: 'test-results/overview-1440.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // The page's content is no wider than the phone: the tables scroll inside their cards. (The top bar is the
    // console layout's, checked with the other pages.)
    const overflow = await page.evaluate(() => (document.querySelector('main')?.scrollWidth ?? Infinity) - window.innerWidth);
    expect(overflow, 'overview content wider than 390 px').toBeLessThanOrEqual(0);
    await page.screenshot({ path: 'test-results/overview-390.png', fullPage: true });
  });

  await test.step('the sources list carries the status and the RPO columns, and the source page its SLO panel', async () => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    await page.getByRole('searchbox', { name: 'Search sources' }).fill(sourceName);
    const row = page.getByTestId('source-row').filter({ hasText: sourceName });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('source-slo-status')).toHaveAttribute('data-status', 'UNKNOWN');
    await page.screenshot({ path: 'test-results/sources-1440.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/sources-390.png', fullPage: true });
    await page.setViewportSize({ width: 1440, height: 1000 });
    await row.getByRole('link', { name: sourceName }).click();
    await expect(page.locator('#slo').getByTestId('source-slo-status')).toHaveAttribute('data-status', 'UNKNOWN');
    await expect(page.getByRole('table', { name: 'Scheduled slots' })).toBeVisible();
    await page.locator('#slo').screenshot({ path: 'test-results/source-slo-1440.png' });
  });
});
