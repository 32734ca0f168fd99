import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { createToken } from './cli';
import { apiAs } from './fixtures';
import { signIn } from './session';

// The Destinations page (issue 8, item 6): an admin creates a local destination in the UI (a system directory is
// refused under its field first), sees it listed with its kind and used space, and edits its flags; an operator sees
// the list but is offered neither the create nor the edit button. Each step is checked against the API.

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const destinationName = `e2e-dest-${suffix}`;
const operatorEmail = `e2e-operator-${suffix}@lifeboat.local`;
// A throwaway password for a throwaway user of the test catalog.
const operatorPassword = `e2e-${crypto.randomBytes(9).toString('hex')}`;
let dir = '';

test.beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-dest-'));
});

test.afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function signInAs(page: Page, email: string, password: string) {
  await page.goto('/destinations');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/destinations$/, { timeout: STEP_MS });
}

test('an admin creates and edits a local destination on the Destinations page', async ({ page, request }) => {
  test.setTimeout(6 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-destinations-${suffix}`, 'admin'));

  await test.step('sign in and open Destinations from the navigation', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Destinations' }).click();
    await expect(page).toHaveURL(/\/destinations$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Destinations');
    // The default destination is there, with its kind in words.
    await expect(page.getByTestId('destination-row').filter({ hasText: 'default' }).first()).toContainText('local disk');
  });

  const dialog = page.getByRole('dialog');
  await test.step('a system directory is refused under its field, in words', async () => {
    await page.getByRole('button', { name: 'New destination' }).click();
    await dialog.getByLabel('Name').fill(destinationName);
    await dialog.getByLabel('Directory').fill('/etc/lifeboat');
    await dialog.getByRole('button', { name: 'Create destination' }).click();
    await expect(dialog.locator('.field-error').first()).toContainText('system directory /etc');
    // No field path in the words shown.
    await expect(dialog).not.toContainText('config.path');
  });

  await test.step('a directory outside the system ones is accepted and listed', async () => {
    await dialog.getByLabel('Directory').fill(dir);
    await dialog.getByRole('button', { name: 'Create destination' }).click();
    await expect(page.getByTestId('destinations-notice')).toContainText(`Destination “${destinationName}” created.`);
    const row = page.getByTestId('destination-row').filter({ hasText: destinationName });
    await expect(row).toContainText('local disk');
    await expect(row).toContainText(dir);
    await expect(row.getByTestId('destination-used')).toContainText('0 B');
    await expect(row.getByTestId('destination-used')).toContainText('0 points');
    const stored = (await api.get('/destinations')) as { items: Array<{ name: string; kind: string; config: { path: string }; usedBytes: number }> };
    expect(stored.items.find((d) => d.name === destinationName)).toMatchObject({ kind: 'local', config: { path: dir }, usedBytes: 0 });
  });

  await test.step('edit: mark it offsite', async () => {
    await page.getByRole('button', { name: `Edit destination ${destinationName}` }).click();
    await dialog.getByLabel(/^Offsite/).check();
    await dialog.getByRole('button', { name: 'Save destination' }).click();
    await expect(page.getByTestId('destinations-notice')).toContainText('saved');
    await expect(page.getByTestId('destination-row').filter({ hasText: destinationName })).toContainText('offsite');
    const stored = (await api.get('/destinations')) as { items: Array<{ name: string; offsite: boolean }> };
    expect(stored.items.find((d) => d.name === destinationName)?.offsite).toBe(true);
  });
});

test('an operator sees the destinations but is offered no create or edit', async ({ page }) => {
  test.setTimeout(3 * STEP_MS);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'server/cli/main.ts', 'user', 'create', '--email', operatorEmail, '--name', 'E2E operator', '--role', 'operator'],
    { cwd: path.resolve(import.meta.dirname, '..'), env: { ...process.env, LIFEBOAT_NEW_USER_PASSWORD: operatorPassword }, encoding: 'utf8' },
  );
  await signInAs(page, operatorEmail, operatorPassword);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Destinations');
  await expect(page.getByTestId('destination-row').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'New destination' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Edit destination/ })).toHaveCount(0);
  // Pages an operator cannot use are not offered either.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Keys' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Tokens' })).toHaveCount(0);
});
