import crypto from 'node:crypto';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs } from './fixtures';
import { signIn } from './session';

// A policy's schedules in the Policies page: add one in the editor, a bad cron is refused next to its field with the
// server's own reason (and nothing stored), a good one is shown in words with its next three times, as the API
// computed them; pause and resume; a policy still in use is not deleted and the page says why. No run starts here
// (the schedule fires on Sundays at 03:00 and the source's policy is paused while it exists).

const STEP_MS = 30_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const policyName = `e2e-schedules-${suffix}`;
const sourceName = `e2e-schedules-source-${suffix}`;

// E2E_SCREENSHOT_DIR (optional): where the spec leaves screenshots of the editor and the card for a change note.
// Not test-results/: the next Playwright run empties that folder.
const SHOT_DIR = process.env.E2E_SCREENSHOT_DIR;
const shotPath = (name: string) => path.join(SHOT_DIR ?? '.', name);
const shot = async (take: () => Promise<unknown>) => {
  if (SHOT_DIR) await take();
};

interface StoredSchedule {
  id: string;
  kind: string;
  backupType?: string;
  cron: string;
  timezone: string;
  description: string;
  next: string[];
}
interface StoredPolicy {
  id: string;
  name: string;
  paused: boolean;
  schedules: StoredSchedule[];
}

/** "Sun 6 Dec 03:00" in UTC, as the page words a fire time (lib/schedule-words.ts formatSlot). */
function slotWords(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.hour}:${parts.minute}`;
}

test('policy schedules: a bad cron refused at its field, a good one in words with its next times, pause, delete refused', async ({ page, request }) => {
  test.setTimeout(6 * STEP_MS);
  const api = apiAs(request, createToken(`e2e-schedules-${suffix}`, 'admin'));
  const stored = async () => ((await api.get('/policies')) as { items: StoredPolicy[] }).items.find((p) => p.name === policyName)!;
  let policyId = '';

  await test.step('a policy without schedules, used by one source (made over the API)', async () => {
    const destinations = (await api.get('/destinations')) as { items: Array<{ id: string; isDefault: boolean }> };
    const primary = destinations.items.find((d) => d.isDefault)!;
    const policy = (await api.post('/policies', { name: policyName, destinationId: primary.id, paused: true })) as StoredPolicy;
    policyId = policy.id;
    expect(policy.schedules).toEqual([]);
    await api.post('/sources', {
      kind: 'postgres',
      name: sourceName,
      policyId,
      testConnection: false,
      config: { host: '127.0.0.1', database: 'never_backed_up', user: 'nobody' },
    });
  });

  await test.step('sign in and open Policies', async () => {
    await signIn(page, { timeout: STEP_MS });
    await page.goto('/policies');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Policies');
  });

  const card = page.getByRole('article', { name: policyName, exact: true });
  const dialog = page.getByRole('dialog', { name: `Schedules of ${policyName}` });

  await test.step('resume the policy from its card', async () => {
    await expect(card.getByTestId('policy-paused')).toBeVisible();
    await expect(card.getByTestId('policy-schedules')).toContainText('No schedule');
    await card.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('policy-notice')).toHaveText(`Policy “${policyName}” resumed.`);
    await expect(card.getByTestId('policy-paused')).toBeHidden();
    expect((await stored()).paused).toBe(false);
  });

  await test.step('a bad cron is refused next to its field, with croner’s reason; nothing is stored', async () => {
    await card.getByRole('button', { name: 'Edit schedules…' }).click();
    await dialog.getByRole('button', { name: 'Add schedule' }).click();
    const row = dialog.getByRole('listitem', { name: 'Schedule 1' });
    await row.getByLabel('Cron').fill('0 60 * * 0');
    await row.getByLabel('Time zone').fill('UTC');
    await expect(row.getByTestId('schedule-preview')).toContainText('Invalid value for hour');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(row.getByTestId('schedule-error-cron')).toContainText('not a valid cron expression');
    await expect(row.getByTestId('schedule-error-cron')).toContainText('hour');
    await expect(row.getByLabel('Cron')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByTestId('schedules-error')).toContainText('VALIDATION');
    await expect(dialog.getByTestId('schedules-error')).toContainText('Fix schedule 1 (cron), marked below.');
    await shot(() => page.screenshot({ path: shotPath('schedules-refused-cron.png') }));
    expect((await stored()).schedules).toEqual([]);
  });

  await test.step('an unknown time zone is refused at its field', async () => {
    const row = dialog.getByRole('listitem', { name: 'Schedule 1' });
    await row.getByLabel('Cron').fill('0 3 * * 0');
    await row.getByLabel('Time zone').fill('Mars/Olympus');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(row.getByTestId('schedule-error-timezone')).toContainText('unknown time zone "Mars/Olympus"');
    expect((await stored()).schedules).toEqual([]);
  });

  await test.step('a good one is saved and shown in words with its next three times', async () => {
    const row = dialog.getByRole('listitem', { name: 'Schedule 1' });
    await row.getByLabel('Time zone').fill('UTC');
    await expect(row.getByTestId('schedule-preview')).toContainText('every Sunday at 03:00 UTC');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(page.getByTestId('policy-notice')).toHaveText(`Schedules of “${policyName}” saved.`);
    await expect(dialog).toBeHidden();

    const [schedule] = (await stored()).schedules;
    expect(schedule).toMatchObject({ kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC', description: 'every Sunday at 03:00 UTC' });
    expect(schedule!.next).toHaveLength(3);
    const line = card.getByTestId('policy-schedule');
    await expect(line.getByTestId('schedule-words')).toHaveText('every Sunday at 03:00 UTC');
    await expect(line.getByTestId('schedule-next')).toHaveText(`— next: ${schedule!.next.map(slotWords).join(', ')}`);
    await expect(line).toContainText('Full backup');
    await shot(() => card.screenshot({ path: shotPath('schedules-policy-card.png') }));
  });

  await test.step('the schedule keeps its id when edited again', async () => {
    const before = (await stored()).schedules[0]!.id;
    await card.getByRole('button', { name: 'Edit schedules…' }).click();
    const row = dialog.getByRole('listitem', { name: 'Schedule 1' });
    await row.getByLabel('Cron').fill('0 2 * * 1-6');
    await dialog.getByRole('button', { name: 'Save schedules' }).click();
    await expect(card.getByTestId('schedule-words')).toHaveText('every Monday to Saturday at 02:00 UTC');
    expect((await stored()).schedules[0]!.id).toBe(before);
  });

  await test.step('pause it again, so that nothing fires while the source exists', async () => {
    await card.getByRole('button', { name: 'Pause' }).click();
    await expect(card.getByTestId('policy-paused')).toBeVisible();
    await expect(card.getByTestId('policy-schedule')).toContainText('paused: nothing fires');
    expect((await stored()).paused).toBe(true);
  });

  await test.step('deleting a policy in use is refused, saying how many sources use it', async () => {
    await card.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete policy' });
    await confirm.getByRole('button', { name: 'Delete policy' }).click();
    await expect(confirm.getByTestId('delete-policy-error')).toContainText('CONFLICT');
    await expect(confirm.getByTestId('delete-policy-error')).toContainText('is used by 1 source');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await stored()).toBeTruthy();
  });
});
