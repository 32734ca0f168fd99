import { expect, type Page } from '@playwright/test';

export const ADMIN_EMAIL = 'admin@lifeboat.local';

/**
 * Signs in through the login form as the seeded admin (scripts/test.sh exports its password as E2E_ADMIN_PASSWORD).
 * Starts signed out at /sources: signed-out visitors land on the sign-in page and come back afterwards.
 */
export async function signIn(page: Page, { timeout }: { timeout: number }) {
  const password = process.env.E2E_ADMIN_PASSWORD;
  if (!password) throw new Error('E2E_ADMIN_PASSWORD is not set');
  await page.goto('/sources');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/sources$/, { timeout });
  await expect(page.getByTestId('signed-in-user')).toContainText(ADMIN_EMAIL);
}
