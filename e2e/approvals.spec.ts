import crypto from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server, withClient } from './fixtures';

// Issue 9's dashboard acceptance: an operator requests a restore, an approver approves it in the inbox, the restore
// runs with live progress, and the audit trail holds the whole chain; self-approval is refused in words; an admin's
// break-glass shows a banner on every page until an approver acknowledges it. Users, tier, service and source are
// made through the API (the source is a fresh database on the catalog's server, so no other spec's source gains a
// tier); everything the people do happens in the browser, each in a context of their own.

// Each backup/restore runs in the worker; 60 s per step covers a small one on a slow CI machine.
const STEP_MS = 60_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_appr_src_${suffix}`;
const approvedDb = `lb_e2e_appr_ok_${suffix}`;
const brokenGlassDb = `lb_e2e_appr_bg_${suffix}`;
const selfDb = `lb_e2e_appr_self_${suffix}`;
const sourceName = `e2e-approvals-${suffix}`;
const PASSWORD = `e2e-approvals-${suffix}`;
const operatorEmail = `operator-${suffix}@example.com`;
const approverEmail = `approver-${suffix}@example.com`;

const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

test.describe.configure({ retries: 0 });

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) => c.query(`CREATE TABLE orders (id integer PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'first'), (2, 'second');`));
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, async (c) => {
    for (const db of [approvedDb, brokenGlassDb, selfDb, sourceDb]) await c.query(`DROP DATABASE IF EXISTS ${quote(db)} WITH (FORCE)`);
  });
});

/** A browser context of its own for one person, signed in through the login form. */
async function signedIn(browser: Browser, baseURL: string, email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto('/sources');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/sources$/, { timeout: STEP_MS });
  await expect(page.getByTestId('signed-in-user')).toContainText(email);
  return page;
}

interface AuditEvent {
  action: string;
  targetId: string | null;
  details: Record<string, unknown>;
}

test('a restore request goes through the approvals inbox, runs, and leaves its chain in the audit trail; break-glass shows a banner', async ({ browser, request }, testInfo) => {
  test.setTimeout(10 * STEP_MS);
  const baseURL = String(testInfo.project.use.baseURL);
  const s = server();
  const adminToken = createToken(`e2e-approvals-admin-${suffix}`, 'admin');
  const admin = apiAs(request, adminToken);
  const adminPassword = process.env.E2E_ADMIN_PASSWORD;
  if (!adminPassword) throw new Error('E2E_ADMIN_PASSWORD is not set');

  let sourceId = '';
  await test.step('set up: an operator, an approver, a tier needing one approval, a service with the source, a backup', async () => {
    await admin.post('/users', { email: operatorEmail, name: 'E2E Operator', password: PASSWORD, role: 'OPERATOR' });
    await admin.post('/users', { email: approverEmail, name: 'E2E Approver', password: PASSWORD, role: 'APPROVER' });
    const tier = (await admin.post('/tiers', { name: `e2e-appr-tier-${suffix}`, rpoSeconds: 3600, rtoSeconds: 3600, restoreApprovals: 1 })) as { id: string };
    const service = (await admin.post('/services', { name: `e2e-appr-service-${suffix}`, tierId: tier.id })) as { id: string };
    const source = (await admin.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      config: { host: s.host, port: s.port, database: sourceDb, user: s.user, ...(s.password ? { password: s.password } : {}) },
    })) as { id: string };
    sourceId = source.id;
    const patched = await request.patch(`/api/v1/sources/${sourceId}`, { headers: { Authorization: `Bearer ${adminToken}` }, data: { serviceId: service.id } });
    expect(patched.ok(), await patched.text()).toBe(true);
    const run = (await admin.post(`/sources/${sourceId}/backups`, {})) as { id: string };
    await expect.poll(async () => ((await admin.get(`/runs/${run.id}`)) as { status: string }).status, { timeout: STEP_MS }).toBe('SUCCEEDED');
  });

  const operator = await signedIn(browser, baseURL, operatorEmail, PASSWORD);
  let requestId = '';
  await test.step('the operator requests a restore with a reason: it waits for approval', async () => {
    await operator.goto(`/sources/${sourceId}`);
    await operator.getByTestId('recovery-point-row').first().getByRole('button', { name: 'Restore' }).click();
    const dialog = operator.getByRole('dialog', { name: 'Restore recovery point' });
    await dialog.getByLabel('New database name').fill(approvedDb);
    await expect(dialog.getByRole('button', { name: 'Start restore' })).toBeDisabled();
    await dialog.getByLabel('Reason').fill('Customer 42 deleted their orders; restore a copy to recover them');
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    await expect(operator).toHaveURL(new RegExp(`/approvals/${UUID.source}$`), { timeout: STEP_MS });
    requestId = new URL(operator.url()).pathname.split('/').pop()!;
    const card = operator.getByTestId('restore-request');
    await expect(card.getByTestId('request-status')).toHaveAttribute('data-status', 'PENDING_APPROVAL');
    await expect(card.getByTestId('request-progress')).toHaveText('0 of 1 approval');
    await expect(card.getByTestId('request-rule')).toContainText(`tier e2e-appr-tier-${suffix}: 1 approval`);
    await expect(card.getByTestId('request-risk')).toContainText('not destructive');
    // An operator may not decide.
    await expect(card.getByRole('button', { name: 'Approve' })).toHaveCount(0);
    // Their own list shows it too.
    await operator.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
    await expect(operator.locator(`[data-request-id="${requestId}"]`)).toBeVisible();
  });

  const approver = await signedIn(browser, baseURL, approverEmail, PASSWORD);
  let runId = '';
  await test.step('the approver sees the badge, approves in the inbox with a comment, and the restore runs', async () => {
    const nav = approver.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByTestId('approvals-badge')).toHaveText(/^[1-9]\d*$/, { timeout: STEP_MS });
    await nav.getByRole('link', { name: /Approvals/ }).click();
    await expect(approver).toHaveURL(/\/approvals$/);
    await expect(approver.getByRole('tab', { name: 'Waiting for approval' })).toHaveAttribute('aria-selected', 'true');
    const card = approver.locator(`[data-request-id="${requestId}"]`);
    await expect(card.getByTestId('request-reason')).toHaveText('Customer 42 deleted their orders; restore a copy to recover them');
    await expect(card.getByTestId('request-risk')).toContainText(/backup from .* ago/);
    await card.getByLabel('Comment').fill('Checked with the customer: go ahead');
    await card.getByRole('button', { name: 'Approve' }).click();
    // Executed once the last approval lands: it leaves the inbox; the request's page links its run.
    await expect(card).toHaveCount(0, { timeout: STEP_MS });
    await approver.goto(`/approvals/${requestId}`);
    const detail = approver.getByTestId('restore-request');
    await expect(detail.getByTestId('request-status')).toHaveAttribute('data-status', 'EXECUTED');
    await expect(detail.getByTestId('decision')).toContainText(`Approved by ${approverEmail} (approver)`);
    await expect(detail.getByTestId('decision')).toContainText('Checked with the customer: go ahead');
    await detail.getByTestId('request-run-link').click();
    await expect(approver).toHaveURL(new RegExp(`/runs/${UUID.source}$`), { timeout: STEP_MS });
    runId = new URL(approver.url()).pathname.split('/').pop()!;
    await expect(approver.getByTestId('run-status')).toHaveText('SUCCEEDED', { timeout: STEP_MS });
    await expect(approver.getByTestId('run-progress')).toHaveAttribute('aria-valuenow', '100');
    const rows = await withClient(approvedDb, (c) => c.query('SELECT id, note FROM orders ORDER BY id'));
    expect(rows.rows).toEqual([
      { id: 1, note: 'first' },
      { id: 2, note: 'second' },
    ]);
  });

  await test.step('the requester sees the state change on their page', async () => {
    await operator.goto(`/approvals/${requestId}`);
    await expect(operator.getByTestId('request-status')).toHaveAttribute('data-status', 'EXECUTED', { timeout: STEP_MS });
  });

  await test.step('the audit trail holds the chain: requested, approved, executed, and the run’s events', async () => {
    const forRequest = ((await admin.get(`/audit?targetId=${requestId}&limit=200`)) as { items: AuditEvent[] }).items.map((e) => e.action);
    expect(forRequest).toEqual(expect.arrayContaining(['restore-request.create', 'restore-request.approve', 'restore-request.execute']));
    await expect
      .poll(async () => ((await admin.get(`/audit?targetId=${runId}&limit=200`)) as { items: AuditEvent[] }).items.map((e) => e.action), { timeout: STEP_MS })
      .toEqual(expect.arrayContaining(['restore.request', 'run.finish']));
    // The same, on the Audit page the request links to (the filter in its form, whether or not the link prefilled it).
    await approver.goto(`/approvals/${requestId}`);
    await approver.getByTestId('request-audit-link').click();
    await expect(approver).toHaveURL(/\/audit\?targetId=/);
    await approver.getByLabel('Target id').fill(requestId);
    for (const action of ['restore-request.create', 'restore-request.approve', 'restore-request.execute']) {
      await expect(approver.locator(`[data-testid="audit-row"][data-action="${action}"]`)).toHaveCount(1, { timeout: STEP_MS });
    }
    await approver.getByLabel('Target id').fill(runId);
    for (const action of ['restore.request', 'run.finish']) {
      await expect(approver.locator(`[data-testid="audit-row"][data-action="${action}"]`).first()).toBeVisible({ timeout: STEP_MS });
    }
  });

  const adminPage = await signedIn(browser, baseURL, 'admin@lifeboat.local', adminPassword);
  await test.step('an admin’s own request: their approval is refused with a readable message', async () => {
    const point = ((await admin.get(`/sources/${sourceId}/recovery-points`)) as { items: { id: string }[] }).items[0]!;
    const res = await adminPage.request.post('/api/v1/restore-requests', {
      data: { recoveryPointId: point.id, target: { database: selfDb }, reason: 'An admin asks for a copy of their own' },
    });
    expect(res.status(), await res.text()).toBe(201);
    const own = (await res.json()) as { id: string };
    await adminPage.goto(`/approvals/${own.id}`);
    await adminPage.getByRole('button', { name: 'Approve' }).click();
    await expect(adminPage.getByTestId('decide-error')).toContainText('You requested this restore: someone else must approve it (or cancel it)');
    await adminPage.getByRole('button', { name: 'Cancel request' }).click();
    await expect(adminPage.getByTestId('request-status')).toHaveAttribute('data-status', 'CANCELLED', { timeout: STEP_MS });
  });

  await test.step('an admin breaks glass on another request: the banner shows', async () => {
    const point = ((await admin.get(`/sources/${sourceId}/recovery-points`)) as { items: { id: string }[] }).items[0]!;
    const res = await operator.request.post('/api/v1/restore-requests', {
      data: { recoveryPointId: point.id, target: { database: brokenGlassDb }, reason: 'The orders service is down and needs its data back' },
    });
    expect(res.status(), await res.text()).toBe(201);
    const other = (await res.json()) as { id: string; status: string };
    expect(other.status).toBe('PENDING_APPROVAL');
    await adminPage.goto(`/approvals/${other.id}`);
    await adminPage.getByRole('button', { name: 'Break glass…' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Break glass' });
    await dialog.getByLabel('Why this cannot wait for approvals').fill('too short');
    await expect(dialog.getByRole('button', { name: 'Break glass and restore now' })).toBeDisabled();
    await dialog.getByLabel('Why this cannot wait for approvals').fill('Outage: no approver reachable at 3 am');
    await dialog.getByRole('button', { name: 'Break glass and restore now' }).click();
    await expect(dialog).toBeHidden({ timeout: STEP_MS });
    await expect(adminPage.getByTestId('break-glass-badge')).toBeVisible();
    const item = adminPage.getByTestId('break-glass-item').filter({ hasText: sourceName });
    await expect(item).toContainText('Outage: no approver reachable at 3 am', { timeout: STEP_MS });
    // On every page, for everyone.
    await operator.goto('/runs');
    await expect(operator.getByTestId('break-glass-item').filter({ hasText: sourceName })).toBeVisible({ timeout: STEP_MS });
    const bg = (await admin.get(`/restore-requests/${other.id}`)) as { runId: string };
    await expect.poll(async () => ((await admin.get(`/runs/${bg.runId}`)) as { status: string }).status, { timeout: STEP_MS }).toBe('SUCCEEDED');
  });

  await test.step('an approver acknowledges it: the banner goes', async () => {
    await approver.goto('/overview');
    const item = approver.getByTestId('break-glass-item').filter({ hasText: sourceName });
    await expect(item).toBeVisible({ timeout: STEP_MS });
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(item).toHaveCount(0, { timeout: STEP_MS });
    await operator.reload();
    await expect(operator.getByTestId('break-glass-item').filter({ hasText: sourceName })).toHaveCount(0, { timeout: STEP_MS });
  });

  await test.step('the operator asks for an in-place restore: a wrong confirmation is refused in words, the right one waits for 2 approvals, one an admin’s', async () => {
    const requestsOfSource = async () =>
      ((await admin.get('/restore-requests?limit=500')) as { items: { id: string; sourceId: string; mode: string }[] }).items.filter((r) => r.sourceId === sourceId && r.mode === 'in-place');
    expect(await requestsOfSource()).toHaveLength(0);
    await operator.goto(`/sources/${sourceId}`);
    await operator.getByTestId('recovery-point-row').first().getByRole('button', { name: 'Restore' }).click();
    const dialog = operator.getByRole('dialog', { name: 'Restore recovery point' });
    await dialog.getByRole('radio', { name: /Over the existing database/ }).check();
    // The mode's own label for the target, and no made-up copy name as its value.
    await expect(dialog.getByLabel('New database name')).toHaveCount(0);
    const database = dialog.getByLabel('Database to replace');
    await expect(database).toHaveValue('');
    await database.fill(sourceDb);
    await expect(dialog.getByTestId('restore-risk')).toContainText(`This will replace what is in ${sourceDb} now.`);
    await expect(dialog.getByTestId('restore-confirm-note')).toHaveText(`Type the database to replace again (${sourceDb}), exactly, to confirm.`);
    await dialog.getByLabel('Reason').fill('A bad migration dropped a column; roll the orders database back');
    await expect(dialog.getByRole('button', { name: 'Start restore' })).toBeDisabled();
    await dialog.getByLabel('Confirmation').fill(`${sourceDb}_typo`);
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    // The server's refusal, as a sentence in the dialog; nothing was requested.
    await expect(dialog.getByTestId('restore-error')).toContainText(
      `Confirmation: does not match: a restore over the existing database replaces what is there, so type "${sourceDb}" to confirm.`,
      { timeout: STEP_MS },
    );
    await expect(dialog.getByTestId('restore-error')).toContainText('The restore was not requested');
    expect(await requestsOfSource()).toHaveLength(0);
    await dialog.getByLabel('Confirmation').fill(sourceDb);
    await dialog.getByRole('button', { name: 'Start restore' }).click();
    await expect(operator).toHaveURL(new RegExp(`/approvals/${UUID.source}$`), { timeout: STEP_MS });
    const inPlaceId = new URL(operator.url()).pathname.split('/').pop()!;
    const card = operator.getByTestId('restore-request');
    await expect(card.getByTestId('request-status')).toHaveAttribute('data-status', 'PENDING_APPROVAL');
    await expect(card.getByTestId('request-risk')).toContainText('destructive');
    await expect(card.getByTestId('request-risk')).not.toContainText('not destructive');
    await expect(card.getByTestId('request-risk')).toContainText(`This will replace database ${sourceDb} on`);
    await expect(card.getByTestId('request-rule')).toContainText(`tier e2e-appr-tier-${suffix}: 1 approval + 1 for a destructive restore, one of them from an admin`);
    await expect(card.getByTestId('request-progress')).toHaveText('0 of 2 approvals, one from an admin still needed');
    expect((await requestsOfSource()).map((r) => r.id)).toEqual([inPlaceId]);
    // Nothing runs over the source's database in this spec: the operator withdraws it.
    await operator.getByRole('button', { name: 'Cancel request' }).click();
    await expect(card.getByTestId('request-status')).toHaveAttribute('data-status', 'CANCELLED', { timeout: STEP_MS });
  });

  await test.step('the inbox at 390 px in dark mode fits the screen', async () => {
    await approver.setViewportSize({ width: 390, height: 844 });
    await approver.emulateMedia({ colorScheme: 'dark' });
    await approver.goto(`/approvals/${requestId}`);
    await expect(approver.getByTestId('restore-request')).toBeVisible();
    const width = await approver.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await approver.screenshot({ path: testInfo.outputPath('approvals-request-390-dark.png'), fullPage: true });
  });

  for (const p of [operator, approver, adminPage]) await p.context().close();
});
