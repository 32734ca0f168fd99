import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs } from './fixtures';
import { signIn } from './session';

// The Policies page: create a policy with a copy destination, give it a retention and see it in words, get a bad
// value refused with the server's own message, give the copy destination a retention of its own, then remove the
// policy's retention. Every step is checked against what GET /api/v1/policies stores. No backup runs here: the
// rules only need to be stored and shown (retention.spec.ts checks what they do).

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const policyName = `e2e-policy-${suffix}`;
const copyName = `e2e-copy-${suffix}`;
const sourceName = `e2e-policy-source-${suffix}`;

interface StoredPolicy {
  id: string;
  name: string;
  destinationId: string;
  compressionLevel: number | null;
  encrypt: boolean;
  retention: unknown;
  copies: Array<{ destinationId: string; destinationName: string; retention: unknown }>;
}

test('policies page: create, retention in words, a refused value, copy retention, remove', async ({ page, request }) => {
  test.setTimeout(6 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-policies-${suffix}`, 'admin'));
  const stored = async () => ((await api.get('/policies')) as { items: StoredPolicy[] }).items.find((p) => p.name === policyName);
  let primaryId = '';
  let copyId = '';

  await test.step('a second local destination to copy to, made over the API', async () => {
    const destinations = (await api.get('/destinations')) as { items: Array<{ id: string; isDefault: boolean }> };
    const primary = destinations.items.find((d) => d.isDefault);
    expect(primary, 'the seeded default destination').toBeTruthy();
    primaryId = primary!.id;
    // Nothing is written there: no backup runs in this spec.
    const copy = (await api.post('/destinations', {
      name: copyName,
      kind: 'local',
      config: { path: path.join(os.tmpdir(), `lifeboat-e2e-${copyName}`) },
    })) as { id: string };
    copyId = copy.id;
  });

  await test.step('sign in and open Policies from the navigation', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies' }).click();
    await expect(page).toHaveURL(/\/policies$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Policies');
  });

  const card = page.getByRole('article', { name: policyName, exact: true });

  await test.step('create a policy with a copy destination', async () => {
    await page.getByRole('button', { name: 'New policy' }).click();
    const form = page.getByRole('form', { name: 'New policy' });
    await form.getByLabel('Name', { exact: true }).fill(policyName);
    await form.getByLabel('Primary destination').selectOption(primaryId);
    await form.getByLabel('Compression').selectOption('6');
    await expect(form.getByLabel('Encrypt backups')).toBeChecked();
    await form.getByRole('group', { name: 'Copy destinations' }).getByLabel(copyName).check();
    await expect(form).toContainText(`then ${copyName}`);
    await form.getByRole('button', { name: 'Create policy' }).click();
    await expect(page.getByTestId('policy-notice')).toHaveText(`Policy “${policyName}” created.`);
    await expect(form).toBeHidden();

    await expect(card.getByTestId('policy-compression')).toHaveText('zstd level 6');
    await expect(card.getByTestId('policy-encryption')).toHaveText('on');
    await expect(card.getByTestId('policy-sources')).toHaveText('none');
    await expect(card.getByTestId('policy-retention')).toContainText('Keeps everything');
    await expect(card.getByTestId('policy-copy')).toContainText(copyName);
    await expect(card.getByTestId('policy-copy')).toContainText('follows its point');
  });

  await test.step('a second policy with the same name is refused, readably', async () => {
    await page.getByRole('button', { name: 'New policy' }).click();
    const form = page.getByRole('form', { name: 'New policy' });
    await form.getByLabel('Name', { exact: true }).fill(policyName);
    await form.getByRole('button', { name: 'Create policy' }).click();
    const error = form.getByTestId('create-policy-error');
    await expect(error).toContainText('CONFLICT');
    await expect(error).toContainText(`a policy named "${policyName}" already exists`, { ignoreCase: true });
    await form.getByRole('button', { name: 'Cancel' }).click();
    await expect(form).toBeHidden();
  });

  await test.step('the policy as stored, and a source using it is counted', async () => {
    const policy = await stored();
    expect(policy).toMatchObject({
      destinationId: primaryId,
      compressionLevel: 6,
      encrypt: true,
      retention: null,
      copies: [{ destinationId: copyId, destinationName: copyName, retention: null }],
    });
    await api.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      policyId: policy!.id,
      testConnection: false,
      config: { host: '127.0.0.1', database: 'never_backed_up', user: 'nobody' },
    });
    await page.reload();
    await expect(card.getByTestId('policy-sources')).toHaveText(`1: ${sourceName}`);
  });

  await test.step('set a retention: keep last 3, daily 7, STANDARD_IA after 30 days; see it in words', async () => {
    await card.getByRole('button', { name: 'Edit retention…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Retention of ${policyName}` });
    await expect(dialog.getByTestId('retention-preview')).toContainText('Keeps everything');
    await dialog.getByLabel('Keep last').fill('3');
    await dialog.getByLabel('Keep daily').fill('7');
    await dialog.getByRole('button', { name: 'Add tier' }).click();
    const tier = dialog.getByRole('group', { name: 'Tier 1' });
    await tier.getByLabel('After (days)').fill('30');
    await tier.getByLabel('Storage class').fill('STANDARD_IA');
    await expect(dialog.getByTestId('retention-preview')).toContainText('the last 3 points');
    await dialog.getByRole('button', { name: 'Save retention' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('policy-notice')).toHaveText(`Retention of “${policyName}” saved.`);

    const words = card.getByTestId('policy-retention');
    await expect(words).toContainText('the last 3 points');
    await expect(words).toContainText('the newest point of each of the last 7 days that have a backup');
    await expect(words).toContainText('Moves kept points to STANDARD_IA after 30 days');
    await expect(words).toContainText('read in UTC time');
    await expect(words).not.toContainText('Keeps everything');
  });

  await test.step('an invalid value is refused, with the server’s message next to the field', async () => {
    await card.getByRole('button', { name: 'Edit retention…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Retention of ${policyName}` });
    // The form opens with what is stored.
    await expect(dialog.getByLabel('Keep last')).toHaveValue('3');
    await expect(dialog.getByRole('group', { name: 'Tier 1' }).getByLabel('Storage class')).toHaveValue('STANDARD_IA');
    const within = dialog.getByLabel('Keep within');
    await within.fill('abc');
    await dialog.getByRole('button', { name: 'Save retention' }).click();
    const error = dialog.getByTestId('retention-error');
    await expect(error).toContainText('The retention was not saved');
    await expect(error).toContainText('VALIDATION');
    await expect(error).toContainText('Keep within: "abc" is not a duration');
    await expect(within).toHaveAttribute('aria-invalid', 'true');
    await expect(within).toHaveAccessibleDescription(/"abc" is not a duration: use a whole number and one unit h, d, w or y/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    // Nothing changed on the server.
    expect((await stored())!.retention).toEqual({
      keepLast: 3,
      keepDaily: 7,
      tiers: [{ afterDays: 30, storageClass: 'STANDARD_IA' }],
      timezone: 'UTC',
    });
  });

  await test.step('the copy destination gets a retention of its own', async () => {
    await card.getByRole('button', { name: `Edit the retention of the copies on ${copyName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Retention of the copies on ${copyName}` });
    await expect(dialog.getByRole('radio', { name: 'Follows its point' })).toBeChecked();
    await dialog.getByRole('radio', { name: 'Own retention' }).check();
    await expect(dialog.getByTestId('retention-preview')).toContainText('kept for ever');
    await dialog.getByLabel('Keep yearly').fill('7');
    await dialog.getByRole('button', { name: 'Save retention' }).click();
    await expect(dialog).toBeHidden();
    const copy = card.getByTestId('policy-copy');
    await expect(copy).toContainText('own retention');
    await expect(copy).toContainText('the newest point of each of the last 7 years that have a backup');
    expect((await stored())!.copies).toEqual([
      expect.objectContaining({ destinationId: copyId, retention: { keepYearly: 7, timezone: 'UTC' } }),
    ]);
  });

  await test.step('remove the retention, confirmed: the policy keeps everything', async () => {
    await card.getByRole('button', { name: 'Remove retention…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove retention' });
    await expect(dialog.getByTestId('remove-retention-summary')).toHaveText(
      `Policy “${policyName}” will then keep everything: retention deletes none of the recovery points of its 1 source.`,
    );
    await expect(dialog).toContainText(`The copies on ${copyName} keep following their own retention.`);
    await dialog.getByRole('button', { name: 'Remove retention', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(card.getByTestId('policy-retention')).toContainText('Keeps everything');
    await expect(card.getByRole('button', { name: 'Remove retention…' })).toHaveCount(0);
    const policy = await stored();
    expect(policy!.retention).toBeNull();
    expect(policy!.copies[0]!.retention).toEqual({ keepYearly: 7, timezone: 'UTC' });
  });

  await test.step('the copies follow their point again', async () => {
    await card.getByRole('button', { name: `Edit the retention of the copies on ${copyName}` }).click();
    const dialog = page.getByRole('dialog', { name: `Retention of the copies on ${copyName}` });
    await expect(dialog.getByLabel('Keep yearly')).toHaveValue('7');
    await dialog.getByRole('radio', { name: 'Follows its point' }).check();
    await dialog.getByRole('button', { name: 'Save retention' }).click();
    await expect(dialog).toBeHidden();
    await expect(card.getByTestId('policy-copy')).toContainText('follows its point');
    expect((await stored())!.copies[0]!.retention).toBeNull();
  });
});
