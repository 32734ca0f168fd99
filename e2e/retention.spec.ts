import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server, withClient } from './fixtures';
import { signIn } from './session';

// Retention from the source page: the policy in words, the dry run with its reasons, a legal hold that changes it, a
// refused deletion, a lock, and "Prune now". The recovery points are real backups of a tiny database made by the
// worker; the policy and its retention are set over the API. The worker runs without its periodic prune
// (playwright.config.ts), so nothing but this spec's "Prune now" deletes these points.

// Each backup runs in the worker; 60 s per step covers a small one on a slow CI machine.
const STEP_MS = 60_000;
const POINTS = 5;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_retention_${suffix}`;

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE "${sourceDb}"`));
  await withClient(sourceDb, (c) => c.query(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;`));
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`DROP DATABASE IF EXISTS "${sourceDb}" WITH (FORCE)`));
});

test('retention on the source page: dry run, legal hold, refused delete, lock, prune now', async ({ page, request }) => {
  test.setTimeout(4 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-retention-${suffix}`, 'admin'));
  let sourceId = '';
  /** Newest first, as the page lists them. */
  let ids: string[] = [];

  await test.step(`a source with ${POINTS} real backups and a keep-last-2 retention`, async () => {
    const destinations = (await api.get('/destinations')) as { items: Array<{ id: string; isDefault: boolean }> };
    const primary = destinations.items.find((d) => d.isDefault);
    expect(primary, 'the seeded default destination').toBeTruthy();
    const policy = (await api.post('/policies', { name: `e2e-retention-${suffix}`, destinationId: primary!.id })) as { id: string };
    const s = server();
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name: `e2e-retention-${suffix}`,
      policyId: policy.id,
      config: { host: s.host, port: s.port, database: sourceDb, user: s.user, ...(s.password ? { password: s.password } : {}) },
    })) as { id: string };
    sourceId = source.id;
    // One after the other, so the points' order is the order they were asked for.
    for (let i = 0; i < POINTS; i++) {
      const run = (await api.post(`/sources/${sourceId}/backups`)) as { id: string };
      await expect
        .poll(async () => ((await api.get(`/runs/${run.id}`)) as { status: string }).status, { timeout: STEP_MS, intervals: [250] })
        .toMatch(/SUCCEEDED|FAILED|CANCELLED/);
      expect(((await api.get(`/runs/${run.id}`)) as { status: string; error: string | null }).status).toBe('SUCCEEDED');
    }
    ids = ((await api.get(`/sources/${sourceId}/recovery-points`)) as { items: Array<{ id: string }> }).items.map((p) => p.id);
    expect(ids).toHaveLength(POINTS);
    // Set after the backups, as an operator would on an existing policy. The tier moves nothing on local disk, but
    // the dry run shows it.
    await api.put(`/policies/${policy.id}/retention`, { keepLast: 2, tiers: [{ afterDays: 0, storageClass: 'STANDARD_IA' }] });
  });

  const [newest, second, third, fourth, oldest] = ids as [string, string, string, string, string];
  const pointRow = (id: string) => page.getByRole('table', { name: 'Recovery points' }).getByRole('row').filter({ hasText: id.slice(0, 8) });
  const planRow = (id: string) => page.getByRole('table', { name: 'Pruning plan' }).getByRole('row').filter({ hasText: id.slice(0, 8) });

  await test.step('sign in and open the source', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.goto(`/sources/${sourceId}`);
    await expect(page.getByTestId('recovery-point-row')).toHaveCount(POINTS);
  });

  await test.step('the retention panel says what is kept', async () => {
    const rules = page.getByTestId('retention-primary');
    await expect(rules).toContainText('the last 2 points');
    await expect(rules).toContainText('to STANDARD_IA at once');
  });

  await test.step('the dry run keeps the last two and deletes the rest, with the planner’s reasons', async () => {
    await expect(page.getByTestId('plan-summary')).toContainText('3 recovery points: 3 stored objects in all');
    for (const id of [newest, second]) {
      await expect(planRow(id)).toHaveAttribute('data-decision', 'keep');
      await expect(planRow(id)).toContainText('kept: keep-last 2');
      await expect(planRow(id)).toContainText('→ STANDARD_IA');
    }
    for (const id of [third, fourth, oldest]) {
      await expect(planRow(id)).toHaveAttribute('data-decision', 'delete');
      await expect(planRow(id)).toContainText('deleted: not among the last 2');
      await expect(planRow(id)).toContainText('Delete the point and all its objects');
    }
  });

  await test.step('a legal hold placed in the UI keeps its point, with the hold as the reason', async () => {
    await pointRow(third).getByRole('button', { name: 'Legal hold…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Place legal hold' });
    await expect(dialog.getByRole('button', { name: 'Place hold' })).toBeDisabled(); // a reason is required
    await dialog.getByLabel('Reason').fill('litigation LEGAL-42');
    await dialog.getByRole('button', { name: 'Place hold' }).click();
    await expect(dialog).toBeHidden();
    await expect(pointRow(third).getByTestId('hold-badge')).toHaveText('legal hold');
    await expect(planRow(third)).toHaveAttribute('data-decision', 'keep');
    await expect(planRow(third)).toContainText('kept: legal hold');
    await expect(page.getByTestId('plan-summary')).toContainText('2 recovery points: 2 stored objects in all');
  });

  await test.step('deleting the held point is refused, and the refusal is shown', async () => {
    await pointRow(third).getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete recovery point' });
    await expect(dialog).toContainText('it is under legal hold');
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    const refusal = dialog.getByRole('alert');
    await expect(refusal).toContainText('The recovery point was not deleted');
    await expect(refusal).toContainText('INVALID_STATE');
    await expect(refusal).toContainText(`recovery point ${third} is under legal hold; release the hold first`, { ignoreCase: true });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(pointRow(third)).toHaveCount(1);
  });

  const lockYear = new Date().getFullYear() + 2;
  await test.step('a lock placed in the UI shows its date', async () => {
    await pointRow(newest).getByRole('button', { name: 'Lock…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Lock recovery point' });
    await expect(dialog.getByTestId('current-lock')).toHaveText('Not locked.');
    await expect(dialog).toContainText('can only be extended');
    await dialog.getByLabel('Locked until').fill(`${lockYear}-01-15`);
    await dialog.getByLabel('Reason').fill('year-end archive');
    // Nobody can undo a lock: it takes the source's name typed again.
    const lockButton = dialog.getByRole('button', { name: 'Lock', exact: true });
    await expect(lockButton).toBeDisabled();
    await dialog.getByLabel(/to confirm/).fill(`e2e-retention-${suffix}`);
    await lockButton.click();
    await expect(dialog).toBeHidden();
    await expect(pointRow(newest).getByTestId('lock-badge')).toContainText(`locked until 15 Jan ${lockYear}`);
    // The planner's reason, verbatim: the lock's instant in UTC (the start of the 15th on the browser's clock).
    await expect(planRow(newest)).toContainText(new RegExp(`locked until ${lockYear}-01-1[45]T`));

    // Reopened, the dialog shows the current lock.
    await pointRow(newest).getByRole('button', { name: 'Lock…' }).click();
    await expect(dialog.getByTestId('current-lock')).toContainText(`Locked until 15 Jan ${lockYear}`);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('prune now deletes what the plan said, and the list follows', async () => {
    await page.getByRole('button', { name: 'Prune now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prune now' });
    await expect(dialog.getByTestId('prune-confirm-summary')).toHaveText('This prune deletes 2 recovery points: 2 stored objects in all.');
    await dialog.getByRole('button', { name: 'Prune now' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText('Prune done')).toBeVisible({ timeout: STEP_MS });
    await expect(page.getByTestId('recovery-point-row')).toHaveCount(3);
    for (const id of [fourth, oldest]) {
      await expect(pointRow(id)).toHaveCount(0);
      await expect(planRow(id)).toHaveCount(0);
    }
    for (const id of [newest, second, third]) await expect(pointRow(id)).toHaveCount(1);
    await expect(page.getByTestId('plan-summary')).toContainText('nothing.');
  });

  await test.step('the server agrees', async () => {
    const left = (await api.get(`/sources/${sourceId}/recovery-points`)) as { items: Array<{ id: string }> };
    expect(left.items.map((p) => p.id)).toEqual([newest, second, third]);
  });
});
