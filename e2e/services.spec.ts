import crypto from 'node:crypto';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server } from './fixtures';
import { signIn } from './session';

// The Services page (issue 8, items 1 and 6): create a tier (a refused zero RPO first, named under its field) and a
// service in the UI, attach a source to the service through the source page's Edit dialog, see it listed under the
// service, then delete the source through its Delete dialog (its name typed). Each step is checked against the API.
// No backup runs: the source is registered without a connection check and never backed up.

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const tierName = `e2e-tier-${suffix}`;
const serviceName = `e2e-service-${suffix}`;
const sourceName = `e2e-services-source-${suffix}`;

interface StoredService {
  id: string;
  name: string;
  tierId: string | null;
  contact: string | null;
  sourceIds: string[];
}

test('services page: a tier, a service, a source attached from its page and listed under it', async ({ page, request }) => {
  test.setTimeout(7 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-services-${suffix}`, 'operator'));
  let sourceId = '';

  await test.step('a source, registered over the API', async () => {
    const s = server();
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      config: { host: s.host, port: s.port, database: 'postgres', user: s.user },
      testConnection: false,
    })) as { id: string; serviceId: string | null; service: unknown };
    expect(source.serviceId).toBeNull();
    expect(source.service).toBeNull();
    sourceId = source.id;
  });

  await test.step('sign in and open Services from the navigation', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect(page).toHaveURL(/\/services$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Services');
    // The seeded tiers, in words.
    const critical = page.getByTestId('tier-row').filter({ hasText: 'tier-1-critical' });
    await expect(critical.getByTestId('tier-rpo')).toHaveText('5 min');
    await expect(critical.getByTestId('tier-rto')).toHaveText('1 h');
    await expect(page.getByTestId('ungrouped-sources')).toContainText(sourceName);
  });

  await test.step('create a tier: a zero RPO is refused under its field, then 10 minutes / 2 hours is stored', async () => {
    await page.getByRole('button', { name: 'New tier' }).click();
    const form = page.getByRole('form', { name: 'New tier' });
    await form.getByLabel('Name', { exact: true }).fill(tierName);
    await form.getByLabel('Recovery point objective (RPO)', { exact: true }).fill('0');
    await form.getByLabel('Recovery point objective (RPO) unit').selectOption('minutes');
    await form.getByLabel('Recovery time objective (RTO)', { exact: true }).fill('2');
    await form.getByLabel('Recovery time objective (RTO) unit').selectOption('hours');
    await form.getByRole('button', { name: 'Create tier' }).click();
    await expect(form.locator('.field-invalid')).toContainText('rpoSeconds must be at least 1 second');
    const tiers = (await api.get('/tiers')) as { items: Array<{ name: string }> };
    expect(tiers.items.some((t) => t.name === tierName), 'nothing stored').toBe(false);

    await form.getByLabel('Recovery point objective (RPO)', { exact: true }).fill('10');
    await form.getByRole('button', { name: 'Create tier' }).click();
    await expect(page.getByTestId('services-notice')).toHaveText(`Tier “${tierName}” created: RPO 10 min, RTO 2 h.`);
    const row = page.getByTestId('tier-row').filter({ hasText: tierName });
    await expect(row.getByTestId('tier-rpo')).toHaveText('10 min');
    await expect(row.getByTestId('tier-rto')).toHaveText('2 h');
  });

  const card = page.getByRole('article', { name: serviceName, exact: true });

  await test.step('create a service with that tier', async () => {
    await page.getByRole('button', { name: 'New service' }).click();
    const form = page.getByRole('form', { name: 'New service' });
    await form.getByLabel('Name', { exact: true }).fill(serviceName);
    await form.getByLabel('Tier').selectOption({ label: `${tierName} (RPO 10 min, RTO 2 h)` });
    await form.getByLabel('Contact').fill('oncall@example.com');
    await form.getByRole('button', { name: 'Create service' }).click();
    await expect(page.getByTestId('services-notice')).toHaveText(`Service “${serviceName}” created.`);
    await expect(card.getByTestId('service-tier')).toHaveText(`${tierName}: lose at most 10 min of data, restored within 2 h`);
    await expect(card.getByTestId('service-contact')).toHaveText('oncall@example.com');
    await expect(card.getByTestId('service-sources')).toContainText('none yet');
    const stored = ((await api.get('/services')) as { items: StoredService[] }).items.find((x) => x.name === serviceName);
    expect(stored).toMatchObject({ contact: 'oncall@example.com', sourceIds: [] });
  });

  await test.step("attach the source to the service through its page's Edit dialog", async () => {
    await page.goto(`/sources/${sourceId}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(sourceName);
    await expect(page.getByTestId('source-service')).toHaveText('no service');
    await page.getByRole('button', { name: 'Edit…', exact: true }).click();
    const form = page.getByRole('form', { name: `Edit source ${sourceName}` });
    await form.getByLabel('Service').selectOption({ label: `${serviceName} (${tierName})` });
    await page.screenshot({ path: 'test-results/source-edit-dialog.png' });
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(form).toBeHidden();
    await expect(page.getByTestId('source-service')).toHaveText(`service ${serviceName}`);
    const source = (await api.get(`/sources/${sourceId}`)) as { service: { name: string } | null };
    expect(source.service?.name).toBe(serviceName);
  });

  await test.step('the source is listed under the service', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
    await expect(card.getByRole('list', { name: `Sources of ${serviceName}` }).getByRole('link', { name: sourceName })).toBeVisible();
    await expect(page.getByTestId('ungrouped-sources')).not.toContainText(sourceName);
    const stored = ((await api.get('/services')) as { items: StoredService[] }).items.find((x) => x.name === serviceName);
    expect(stored?.sourceIds).toEqual([sourceId]);
  });

  await test.step('screenshots of the Services page at 1440 px and 390 px', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.screenshot({ path: 'test-results/services-1440.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/services-390.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('delete the source: the button waits for its name to be typed', async () => {
    await card.getByRole('link', { name: sourceName }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(sourceName);
    await page.getByRole('button', { name: 'Delete…', exact: true }).first().click();
    const form = page.getByRole('form', { name: `Delete source ${sourceName}` });
    const submit = form.getByRole('button', { name: 'Delete source' });
    await form.getByLabel(/to confirm/).fill(sourceName.toUpperCase());
    await expect(submit).toBeDisabled();
    await form.getByLabel(/to confirm/).fill(sourceName);
    await page.screenshot({ path: 'test-results/source-delete-dialog.png' });
    await submit.click();
    await expect(page).toHaveURL(/\/sources$/, { timeout: STEP_MS });
    const res = await request.get(`/api/v1/sources/${sourceId}`, { headers: { Authorization: `Bearer ${createToken(`e2e-services-check-${suffix}`, 'viewer')}` } });
    expect(res.status()).toBe(404);
  });
});
