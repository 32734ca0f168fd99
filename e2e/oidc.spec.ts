import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createToken } from './cli';
import { OIDC_ACCOUNTS, OIDC_NAME } from './oidc-idp';
import { signIn } from './session';

// Issue 9, item 7: sign-in through a real OpenID provider (e2e/oidc-provider.ts, started by playwright.config.ts on
// 127.0.0.1), the role from its groups claim; a disabled user and a revoked token refused on their next request; the
// Users page; the recovery kit only after the password is entered again.

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;

/** A browser context that can reach this machine only (the provider's pages are ours, but be sure). */
async function localContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route((url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost', (route) => route.abort());
  return context;
}

/** Lifeboat's login page → "Sign in with Test IdP" → the provider's page → back to Lifeboat. */
async function signInWithIdp(page: Page, login: string) {
  await page.goto('/login');
  await page.getByRole('button', { name: `Sign in with ${OIDC_NAME}` }).click();
  await expect(page.getByRole('heading', { name: 'Test IdP' })).toBeVisible({ timeout: STEP_MS });
  await page.getByLabel('Login').fill(login);
  await page.getByRole('button', { name: 'Sign in to Test IdP' }).click();
}

test('OIDC: sign-in through a local provider maps the role from its claim; a disabled user is refused at once', async ({ browser, request }) => {
  test.setTimeout(4 * STEP_MS);
  const admin = { Authorization: `Bearer ${createToken(`e2e-oidc-${suffix}`, 'admin')}` };
  const olga = OIDC_ACCOUNTS.olga!;
  const users = async () => ((await (await request.get('/api/v1/users', { headers: admin })).json()) as { items: Array<{ id: string; email: string; role: string; disabled: boolean; signIn: string[]; lastSignInAt: string | null }> }).items;

  const context = await localContext(browser);
  const page = await context.newPage();
  await test.step('olga signs in with the provider: a new operator (her group "ops")', async () => {
    await signInWithIdp(page, 'olga');
    await expect(page).toHaveURL(/\/overview$/, { timeout: STEP_MS });
    await expect(page.getByTestId('signed-in-user')).toContainText(olga.email);
    await expect(page.getByTestId('signed-in-role')).toHaveText('operator');
    const row = (await users()).find((u) => u.email === olga.email);
    expect(row).toMatchObject({ role: 'OPERATOR', disabled: false, signIn: ['oidc'], lastSignInAt: expect.any(String) });
    expect((await page.request.get('/api/v1/sources')).status()).toBe(200);
  });

  await test.step('disabled by an admin, her session is refused on its next request', async () => {
    const id = (await users()).find((u) => u.email === olga.email)!.id;
    const res = await request.patch(`/api/v1/users/${id}`, { headers: admin, data: { disabled: true } });
    expect(res.status(), await res.text()).toBe(200);
    const refused = await page.request.get('/api/v1/sources');
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    // The open overview polls too: its 401 may already be sending the page to /login, which aborts this navigation.
    await page.goto('/sources').catch((err: Error) => {
      if (!/ERR_ABORTED/.test(err.message)) throw err;
    });
    await expect(page).toHaveURL(/\/login/, { timeout: STEP_MS });
  });

  await test.step('signing in again through the provider is refused with a reason', async () => {
    const again = await (await localContext(browser)).newPage();
    await signInWithIdp(again, 'olga');
    await expect(again).toHaveURL(/\/login\?error=OidcDisabled/, { timeout: STEP_MS });
    await expect(again.getByTestId('login-error')).toHaveText('This account is disabled.');
  });

  await test.step('a person whose group maps to no role does not get in', async () => {
    const ivan = await (await localContext(browser)).newPage();
    await signInWithIdp(ivan, 'ivan');
    await expect(ivan).toHaveURL(/\/login\?error=OidcNoRole/, { timeout: STEP_MS });
    await expect(ivan.getByTestId('login-error')).toContainText(`Your ${OIDC_NAME} account has no Lifeboat role`);
    expect((await users()).some((u) => u.email === OIDC_ACCOUNTS.ivan!.email)).toBe(false);
  });
});

test('admin: Users page, token revoked in the UI refused at once, recovery kit after the password again', async ({ browser, request }) => {
  test.setTimeout(4 * STEP_MS);
  const context = await localContext(browser);
  const page = await context.newPage();
  await signIn(page, { timeout: STEP_MS });

  await test.step('Users: create, change the role, disable', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
    const email = `e2e-user-${suffix}@example.test`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Name').fill('E2E Person');
    await page.getByLabel('Role', { exact: true }).selectOption('OPERATOR');
    await page.getByLabel('Initial password').fill('e2e-initial-password-1');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByTestId('new-user')).toContainText(`User ${email} created`);
    const row = page.getByTestId('user-row').filter({ hasText: email });
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('OPERATOR');
    await row.getByLabel(`Role of ${email}`).selectOption('APPROVER');
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue('APPROVER');
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect(row.getByTestId('user-state')).toHaveText('disabled');
    await expect(row.getByRole('button', { name: 'Enable' })).toBeVisible();
  });

  await test.step('Tokens: a token revoked with the Revoke button is refused on its next request', async () => {
    const name = `e2e-revoke-${suffix}`;
    const token = createToken(name, 'viewer');
    const headers = { Authorization: `Bearer ${token}` };
    expect((await request.get('/api/v1/sources', { headers })).status()).toBe(200);
    await page.goto('/tokens');
    const row = page.getByTestId('token-row').filter({ hasText: name });
    await row.getByRole('button', { name: 'Revoke…' }).click();
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    await expect(row).toContainText('revoked');
    const refused = await request.get('/api/v1/sources', { headers });
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: 'API token is unknown, revoked or expired' } });
  });

  await test.step('Keys: the recovery kit needs the password again; its text is for operators', async () => {
    await page.goto('/keys');
    await page.getByRole('button', { name: 'Download recovery kit…' }).click();
    await page.getByLabel('Your password').fill('not-the-admin-password');
    await page.getByTestId('recovery-kit-download').click();
    await expect(page.getByTestId('recovery-kit-error')).toContainText('password is not correct', { ignoreCase: true });
    await page.getByLabel('Your password').fill(process.env.E2E_ADMIN_PASSWORD!);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('recovery-kit-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^lifeboat-recovery-kit-\d{4}-\d{2}-\d{2}\.txt$/);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    expect(text).toMatch(/^# Lifeboat recovery kit/);
    expect(text).toContain('## Restoring without Lifeboat');
    expect(text).not.toMatch(/\b(server|workers)\/|\.ts\b/);
    // An API token, even an admin's, never gets it.
    const byToken = await request.post('/api/v1/keys/recovery-kit', {
      headers: { Authorization: `Bearer ${createToken(`e2e-kit-${suffix}`, 'admin')}` },
      data: { password: process.env.E2E_ADMIN_PASSWORD },
    });
    expect(byToken.status()).toBe(403);
    expect(await byToken.json()).toMatchObject({ error: { code: 'SESSION_REQUIRED' } });
  });
});
