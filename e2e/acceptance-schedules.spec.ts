import crypto from 'node:crypto';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { formatSeconds } from '../components/ui/format';
import { createToken, createUser } from './cli';
import { apiAs, server, withClient } from './fixtures';
import { signIn } from './session';

// Issue 8's acceptance story, end to end in the UI and in real time: create a tier and a service, attach a source
// to them, give its policy a schedule (a bad cron refused next to its field first), and a scheduled backup appears
// and succeeds without any click. The overview then shows the source UNKNOWN (a point, so an achieved RPO, but no
// restore evidence for the RTO); after one restore through the restore dialog, approved over the API by another
// person as the tier's rule asks, it shows OK with that restore's duration as the RTO. At the end the policy is paused (so its every-minute schedule cannot disturb later specs)
// and the source, the service and the policy are deleted through the UI.
//
// The source is a fresh database on the catalog's server, registered like the demo source ("lifeboat-catalog" is the
// catalog itself, which other specs share; a schedule on it would back the catalog up every minute for the rest of
// the suite). Only that registration and the policy (without schedules) are made over the API: the story starts
// from a source that exists.

// UI steps that wait for the worker (a backup or restore of a tiny database) get 60 s on a slow CI machine.
const STEP_MS = 60_000;
// A `* * * * *` schedule saved at any second fires at the next minute boundary (≤ 60 s), once a worker sweep has
// made its job scheduler (≤ 10 s, LIFEBOAT_SWEEP_MS' default); then the backup itself runs. 90 s covers all three.
const SCHEDULED_RUN_MS = 90_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_accept_${suffix}`;
const restoredDb = `lb_e2e_accept_restored_${suffix}`;
const sourceName = `e2e-demo-${suffix}`;
const policyName = `e2e-accept-policy-${suffix}`;
const tierName = `e2e-accept-tier-${suffix}`;
const serviceName = `e2e-accept-service-${suffix}`;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

// E2E_SCREENSHOT_DIR (optional): where the overview and services screenshots go for the change note. Not
// test-results/: the next Playwright run empties that folder.
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR;
const shot = async (name: string, take: (file: string) => Promise<unknown>) => {
  if (SHOT_DIR) await take(path.join(SHOT_DIR, name));
};

interface SloSource {
  sourceId: string;
  status: string;
  rpo: { achievedSeconds: number | null; targetSeconds: number | null };
  rto: { achievedSeconds: number | null; targetSeconds: number | null; runId: string | null };
}

let policyId = '';
let adminToken = '';

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) => c.query("CREATE TABLE orders (id integer PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'first'), (2, 'second')"));
});

test.afterAll(async ({ request }) => {
  // Whatever happened above, the every-minute schedule must not outlive this spec: pause the policy if it is still
  // there (the UI cleanup deletes it on success, and then this answers 404).
  if (policyId && adminToken) {
    await request.patch(`/api/v1/policies/${policyId}`, { headers: { Authorization: `Bearer ${adminToken}` }, data: { paused: true } });
  }
  await withClient(server().adminDatabase, async (c) => {
    for (const db of [restoredDb, sourceDb]) await c.query(`DROP DATABASE IF EXISTS ${quote(db)} WITH (FORCE)`);
  });
});

test('acceptance: a scheduled backup runs by itself, the overview says UNKNOWN, then OK with the restore’s RTO', async ({ page, request }) => {
  // Longer than the config's 60 s: this test waits in real time for a cron slot (up to SCHEDULED_RUN_MS) on top of a
  // dozen UI steps and one restore. 180 s leaves about a minute for everything but the wait.
  test.setTimeout(180_000);
  adminToken = createToken(`e2e-accept-${suffix}`, 'admin');
  const api = apiAs(request, adminToken);
  const s = server();
  let sourceId = '';

  await test.step('setup over the API: the source, and a policy without schedules', async () => {
    const destinations = (await api.get('/destinations')) as { items: Array<{ id: string; isDefault: boolean }> };
    const destinationId = destinations.items.find((d) => d.isDefault)!.id;
    const policy = (await api.post('/policies', { name: policyName, destinationId, encrypt: false })) as { id: string; schedules: unknown[]; paused: boolean };
    expect(policy).toMatchObject({ schedules: [], paused: false });
    policyId = policy.id;
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      config: { host: s.host, port: s.port, database: sourceDb, user: s.user, ...(s.password ? { password: s.password } : {}) },
    })) as { id: string };
    sourceId = source.id;
  });

  await test.step('sign in; create a tier (RPO 10 min, RTO 1 h) and a service in it on the Services page', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Services');

    await page.getByRole('button', { name: 'New tier' }).click();
    const tierForm = page.getByRole('form', { name: 'New tier' });
    await tierForm.getByLabel('Name', { exact: true }).fill(tierName);
    await tierForm.getByLabel('Recovery point objective (RPO)', { exact: true }).fill('10');
    await tierForm.getByLabel('Recovery point objective (RPO) unit').selectOption('minutes');
    await tierForm.getByLabel('Recovery time objective (RTO)', { exact: true }).fill('1');
    await tierForm.getByLabel('Recovery time objective (RTO) unit').selectOption('hours');
    await tierForm.getByRole('button', { name: 'Create tier' }).click();
    await expect(page.getByTestId('services-notice')).toHaveText(`Tier “${tierName}” created: RPO 10 min, RTO 1 h.`);

    await page.getByRole('button', { name: 'New service' }).click();
    const serviceForm = page.getByRole('form', { name: 'New service' });
    await serviceForm.getByLabel('Name', { exact: true }).fill(serviceName);
    await serviceForm.getByLabel('Tier').selectOption({ label: `${tierName} (RPO 10 min, RTO 1 h)` });
    await serviceForm.getByRole('button', { name: 'Create service' }).click();
    await expect(page.getByTestId('services-notice')).toHaveText(`Service “${serviceName}” created.`);
  });

  await test.step('attach the source to the service and the policy through its Edit dialog', async () => {
    await page.getByTestId('ungrouped-sources').getByRole('link', { name: sourceName }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(sourceName);
    await page.getByRole('button', { name: 'Edit…', exact: true }).click();
    const form = page.getByRole('form', { name: `Edit source ${sourceName}` });
    await form.getByLabel('Policy').selectOption({ label: policyName });
    await form.getByLabel('Service').selectOption({ label: `${serviceName} (${tierName})` });
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(form).toBeHidden();
    await expect(page.getByTestId('source-service')).toHaveText(`service ${serviceName}`);
    await expect(page.getByTestId('source-policy')).toHaveText(`policy ${policyName}`);
    await expect(page.getByRole('table', { name: 'Recent runs' })).toContainText('No runs yet.');
  });

  const card = page.getByRole('article', { name: policyName, exact: true });

  await test.step('give the policy an every-minute backup schedule; a bad cron is refused next to its field first', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Policies');
    await card.getByRole('button', { name: 'Edit schedules…' }).click();
    const dialog = page.getByRole('dialog', { name: `Schedules of ${policyName}` });
    await dialog.getByRole('button', { name: 'Add schedule' }).click();
    const row = dialog.getByRole('listitem', { name: 'Schedule 1' });
    await row.getByLabel('Cron').fill('61 * * * *');
    await row.getByLabel('Time zone').fill('UTC');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(row.getByTestId('schedule-error-cron')).toContainText('not a valid cron expression');
    await expect(row.getByTestId('schedule-error-cron')).toContainText('minute');
    await expect(row.getByLabel('Cron')).toHaveAttribute('aria-invalid', 'true');
    expect(((await api.get(`/policies`)) as { items: Array<{ id: string; schedules: unknown[] }> }).items.find((p) => p.id === policyId)?.schedules).toEqual([]);

    await row.getByLabel('Cron').fill('* * * * *');
    await expect(row.getByTestId('schedule-preview')).toContainText('every minute — next:');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(page.getByTestId('policy-notice')).toHaveText(`Schedules of “${policyName}” saved.`);
    await expect(card.getByTestId('policy-schedule')).toContainText('Full backup');
  });

  let scheduledRunId = '';

  await test.step('a scheduled backup appears on the source page and succeeds, with no click', async () => {
    await page.goto(`/sources/${sourceId}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(sourceName);
    // From here on the page is only watched: the runs table refreshes itself.
    const row = page.getByRole('table', { name: 'Recent runs' }).getByTestId('run-row').filter({ has: page.getByTestId('run-trigger') });
    await expect(row.first()).toBeVisible({ timeout: SCHEDULED_RUN_MS });
    await expect(row.first().getByTestId('run-trigger')).toHaveText('scheduled');
    await expect(row.first()).toContainText('backup');
    await expect(row.first().getByText('SUCCEEDED')).toBeVisible({ timeout: STEP_MS });
    scheduledRunId = (await row.first().getAttribute('data-run-id')) ?? '';
    const run = (await api.get(`/runs/${scheduledRunId}`)) as { trigger: string; requestedBy: string | null; status: string };
    expect(run).toMatchObject({ trigger: 'schedule', status: 'SUCCEEDED' });
    // Its recovery point shows up on the page too, still without a click.
    await expect(page.getByTestId('recovery-point-row').first()).toBeVisible({ timeout: STEP_MS });
  });

  const overviewRow = page.getByTestId('slo-source-row').filter({ hasText: sourceName });

  await test.step('the overview shows the source UNKNOWN (no restore yet) with its achieved RPO', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Overview');
    await expect(overviewRow.getByTestId('slo-status')).toHaveAttribute('data-status', 'UNKNOWN', { timeout: STEP_MS });
    // An achieved figure ("37 s", "1 min 5 s"), not "—", against the tier's 10 min.
    await expect(overviewRow.getByRole('cell').nth(3)).toHaveText(/^\d+ (s|min)( \d+ s)? \/ 10 min$/);
    await expect(page.getByTestId('out-of-target-row').filter({ hasText: sourceName })).toContainText('No restore yet');
    const slo = ((await api.get('/slo')) as { sources: SloSource[] }).sources.find((x) => x.sourceId === sourceId)!;
    expect(slo).toMatchObject({ status: 'UNKNOWN', rto: { achievedSeconds: null, runId: null } });
    expect(slo.rpo.achievedSeconds).not.toBeNull();
    await shot('acceptance-overview-unknown-1440.png', (file) => page.screenshot({ path: file, fullPage: true }));
  });

  let restoreRunId = '';

  await test.step('restore the scheduled point through the restore dialog; another person approves it (the tier asks for one)', async () => {
    await page.goto(`/sources/${sourceId}`);
    await page.getByTestId('recovery-point-row').first().getByRole('button', { name: 'Restore' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore recovery point' });
    await dialog.getByLabel('New database name').fill(restoredDb);
    await dialog.getByLabel('Reason').fill('acceptance: measure the RTO with a real restore');
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    // The new tier kept its default rule (one approval), so the dialog's restore waits as a restore request of the
    // signed-in admin, who is also the admin token's owner (`mine`).
    let pendingId = '';
    await expect
      .poll(
        async () => {
          const list = (await api.get('/restore-requests?status=PENDING_APPROVAL&mine=true')) as { items: Array<{ id: string; sourceId: string; target: { database?: string } }> };
          pendingId = list.items.find((r) => r.sourceId === sourceId && r.target.database === restoredDb)?.id ?? '';
          return pendingId;
        },
        { timeout: STEP_MS },
      )
      .not.toBe('');
    // The requester cannot approve it, not even through the token they own.
    const self = await request.post(`/api/v1/restore-requests/${pendingId}/approve`, { headers: { Authorization: `Bearer ${adminToken}` }, data: {} });
    expect(self.status()).toBe(403);
    expect(((await self.json()) as { error: { code: string } }).error.code).toBe('SELF_APPROVAL');
    const approverEmail = `e2e-approver-${suffix}@lifeboat.local`;
    createUser(approverEmail, 'approver');
    const approver = apiAs(request, createToken(`e2e-accept-approver-${suffix}`, 'approver', { owner: approverEmail }));
    const approved = (await approver.post(`/restore-requests/${pendingId}/approve`, { comment: 'acceptance restore' })) as { status: string; runId: string };
    expect(approved).toMatchObject({ status: 'EXECUTED', runId: expect.stringMatching(UUID) });
    restoreRunId = approved.runId;
    await page.goto(`/runs/${restoreRunId}`);
    await expect(page.getByTestId('run-status')).toHaveText('SUCCEEDED', { timeout: STEP_MS });
    const rows = await withClient(restoredDb, (c) => c.query('SELECT id, note FROM orders ORDER BY id'));
    expect(rows.rows).toEqual([
      { id: 1, note: 'first' },
      { id: 2, note: 'second' },
    ]);
  });

  await test.step('the overview shows the source OK with that restore’s duration as its RTO', async () => {
    const run = (await api.get(`/runs/${restoreRunId}`)) as { createdAt: string; finishedAt: string };
    // Whole seconds rounded up, as server/slo counts an RTO (never reported shorter than it was).
    const rtoSeconds = Math.ceil((Date.parse(run.finishedAt) - Date.parse(run.createdAt)) / 1000);
    await page.goto('/overview');
    await expect(overviewRow.getByTestId('slo-status')).toHaveAttribute('data-status', 'OK', { timeout: STEP_MS });
    await expect(overviewRow.getByRole('cell').nth(4)).toHaveText(`${formatSeconds(rtoSeconds)} / 1 h`);
    await expect(page.getByTestId('out-of-target-row').filter({ hasText: sourceName })).toHaveCount(0);
    const slo = ((await api.get('/slo')) as { sources: SloSource[] }).sources.find((x) => x.sourceId === sourceId)!;
    expect(slo).toMatchObject({ status: 'OK', rto: { runId: restoreRunId, targetSeconds: 3_600 } });
    expect(slo.rto.achievedSeconds).toBe(rtoSeconds);
    await shot('acceptance-overview-ok-1440.png', (file) => page.screenshot({ path: file, fullPage: true }));
  });

  await test.step('the Services page lists the source under its service', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    const service = page.getByRole('article', { name: serviceName, exact: true });
    await expect(service.getByRole('list', { name: `Sources of ${serviceName}` }).getByRole('link', { name: sourceName })).toBeVisible();
    await shot('acceptance-services-1440.png', (file) => page.screenshot({ path: file, fullPage: true }));
  });

  await test.step('cleanup in the UI: pause the policy, then delete the source, the service and the policy', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
    await card.getByRole('button', { name: 'Pause' }).click();
    await expect(card.getByTestId('policy-paused')).toBeVisible();
    // A slot that fired just before the pause may still be running; a source with a run in flight is not deleted.
    await expect
      .poll(async () => ((await api.get(`/runs?sourceId=${sourceId}`)) as { items: Array<{ status: string }> }).items.filter((r) => ['QUEUED', 'RUNNING'].includes(r.status)).length, {
        timeout: STEP_MS,
        message: 'no run of the source in flight',
      })
      .toBe(0);

    await page.goto(`/sources/${sourceId}`);
    await page.getByRole('button', { name: 'Delete…', exact: true }).first().click();
    const deleteSource = page.getByRole('form', { name: `Delete source ${sourceName}` });
    await deleteSource.getByLabel(/to confirm/).fill(sourceName);
    await deleteSource.getByRole('button', { name: 'Delete source' }).click();
    await expect(page).toHaveURL(/\/sources$/, { timeout: STEP_MS });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await page.getByRole('button', { name: `Delete service ${serviceName}` }).click();
    await page.getByRole('form', { name: `Delete service ${serviceName}` }).getByRole('button', { name: 'Delete service' }).click();
    await expect(page.getByRole('article', { name: serviceName, exact: true })).toHaveCount(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
    await card.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete policy' }).getByRole('button', { name: 'Delete policy' }).click();
    await expect(card).toHaveCount(0);
    policyId = '';
  });
});
