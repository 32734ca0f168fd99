import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server } from './fixtures';
import { signIn } from './session';

// UI quality (issue 8, item 7): every main page renders at 1440 px and 390 px wide, light and dark, and never grows
// wider than a 390 px phone (the top bar overflowed before). With E2E_SCREENSHOT_DIR set, each is saved there as
// <page>-<width>-<scheme>.png for the note; without it the spec only checks.

const STEP_MS = 60_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const WIDTHS = [1440, 390] as const;
const SCHEMES = ['light', 'dark'] as const;
const screenshotDir = process.env.E2E_SCREENSHOT_DIR;

/** Waits until the page has its heading and nothing left saying "Loading…". */
async function settled(page: Page) {
  await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
  await expect(page.getByText('Loading…', { exact: true })).toHaveCount(0, { timeout: 15_000 });
}

/** The outermost elements that reach past the screen's right edge, named for the failure message. */
async function widest(page: Page): Promise<string> {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const clipped = (el: Element | null): boolean => {
      for (let e = el; e && e !== document.body; e = e.parentElement) {
        if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)) return true;
      }
      return false;
    };
    const names: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      // An absolutely placed element escapes its scrolling ancestors when its containing block lies outside them.
      const escapes = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
      if (el.getBoundingClientRect().right <= w + 0.5 || (!escapes && clipped(el.parentElement))) continue;
      const parent = el.parentElement;
      if (parent && parent.getBoundingClientRect().right > w + 0.5 && !clipped(parent.parentElement)) continue;
      names.push(`${el.tagName.toLowerCase()}.${(el.getAttribute('class') ?? '').split(' ').join('.')} (${Math.round(el.getBoundingClientRect().right)} px)`);
      if (names.length === 5) break;
    }
    return names.join(', ');
  });
}

test('every main page fits 390 px and renders light and dark', async ({ page, request }) => {
  test.setTimeout(8 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-screens-${suffix}`, 'admin'));
  let sourceId = '';
  let runId = '';

  await test.step('a source with one backup, so the source and run pages have something to show', async () => {
    const s = server();
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name: `e2e-screens-${suffix}`,
      config: { host: s.host, port: s.port, database: 'postgres', user: s.user, ...(s.password ? { password: s.password } : {}) },
      testConnection: false,
    })) as { id: string };
    sourceId = source.id;
    runId = ((await api.post(`/sources/${source.id}/backups`)) as { id: string }).id;
    await expect
      .poll(async () => ((await api.get(`/runs/${runId}`)) as { status: string }).status, { timeout: STEP_MS, message: 'the backup finishes' })
      .toMatch(/SUCCEEDED|FAILED/);
  });

  await signIn(page, { timeout: STEP_MS });
  const pages: Array<[string, string]> = [
    ['overview', '/overview'],
    ['sources', '/sources'],
    ['source', `/sources/${sourceId}`],
    ['runs', '/runs'],
    ['run', `/runs/${runId}`],
    ['policies', '/policies'],
    ['services', '/services'],
    ['destinations', '/destinations'],
    ['keys', '/keys'],
    ['tokens', '/tokens'],
    ['audit', '/audit'],
    ['not-found', '/no-such-page'],
  ];
  if (screenshotDir) fs.mkdirSync(screenshotDir, { recursive: true });

  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, url] of pages) {
        await test.step(`${name} at ${width} px, ${scheme}`, async () => {
          await page.goto(url);
          await settled(page);
          const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
          expect(scrollWidth, `${name} is ${scrollWidth} px wide at ${width} px; too wide: ${scrollWidth > width ? await widest(page) : ''}`).toBeLessThanOrEqual(width);
          if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, `${name}-${width}-${scheme}.png`), fullPage: true });
        });
      }
    }
  }

  await test.step('at 1440 px the links are in the bar and there is no menu button', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto('/sources');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Destinations' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Menu' })).toBeHidden();
  });

  await test.step('at 390 px the navigation is a menu that opens and leads somewhere', async () => {
    await page.setViewportSize({ width: 390, height: 900 });
    await page.goto('/sources');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav).toBeHidden();
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav.getByRole('link', { name: 'Destinations' }).click();
    await expect(page).toHaveURL(/\/destinations$/);
    await expect(nav).toBeHidden();
  });
});
