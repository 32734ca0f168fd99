import crypto from 'node:crypto';
import pg from 'pg';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server, withClient } from './fixtures';
import { signIn } from './session';

// Pressing *Cancel run* on a backup that is under way must stop it at once: the request reaches the worker over
// Redis (not at its next heartbeat), pg_dump is killed and the run ends CANCELLED.
//
// The backup is slowed down the way production sees it, with no test knob in the worker: the spec holds an
// ACCESS EXCLUSIVE lock on the source's only table, so pg_dump waits for it (up to its 120 s lock-wait timeout).

const STEP_MS = 60_000;
// From the click to "CANCELLED" on screen: the cancel round trip (≤ 1 s), the worker's CANCELLED commit, and the
// event stream to the browser, on a loaded 2-core machine.
const CANCEL_SEEN_MS = 3_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_cancel_${suffix}`;
const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

test.beforeAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) => c.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);'));
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(sourceDb)} WITH (FORCE)`));
});

/** Lifeboat's sessions on the source database that wait for a lock (pg_dump behind ours), and all of them. */
async function dumpSessions() {
  const rows = await withClient(server().adminDatabase, (c) =>
    c.query<{ wait_event_type: string | null }>(`SELECT wait_event_type FROM pg_stat_activity WHERE datname = $1 AND application_name = 'lifeboat'`, [sourceDb]),
  );
  return { waiting: rows.rows.filter((r) => r.wait_event_type === 'Lock').length, total: rows.rowCount ?? 0 };
}

test('cancel a running backup from its run page', async ({ page, request }) => {
  test.setTimeout(4 * STEP_MS);
  const s = server();
  const api = apiAs(request, createToken(`e2e-cancel-${suffix}`, 'operator'));
  const source = (await api.post('/sources', {
    kind: 'postgres',
    name: `e2e-cancel-${suffix}`,
    config: { host: s.host, port: s.port, database: sourceDb, user: s.user, ...(s.password ? { password: s.password } : {}) },
  })) as { id: string };

  const locker = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password || undefined, database: sourceDb });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');

    await test.step('sign in and start a backup', async () => {
      await signIn(page, { timeout: STEP_MS });
      await page.goto(`/sources/${source.id}`);
      await page.getByRole('button', { name: 'Back up now' }).click();
      await expect(page).toHaveURL(new RegExp(`/runs/${UUID.source}$`), { timeout: STEP_MS });
      await expect(page.getByTestId('run-status')).toHaveText('RUNNING', { timeout: STEP_MS });
      await expect.poll(async () => (await dumpSessions()).waiting, { timeout: STEP_MS, message: 'pg_dump waits for the lock' }).toBe(1);
    });

    await test.step('press Cancel run and see it cancelled at once', async () => {
      const clicked = Date.now();
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await expect(page.getByTestId('run-status')).toHaveText('CANCELLED', { timeout: CANCEL_SEEN_MS });
      expect(Date.now() - clicked).toBeLessThan(CANCEL_SEEN_MS);
      await expect(page.getByText('cancelled on request').first()).toBeVisible();
      // pg_dump was killed, not left waiting behind the lock.
      await expect.poll(async () => (await dumpSessions()).total, { timeout: 5_000 }).toBe(0);
    });
  } finally {
    await locker.end();
  }
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  const run = (await api.get(`/runs/${runId}`)) as { status: string; cancelRequested: boolean };
  expect(run).toMatchObject({ status: 'CANCELLED', cancelRequested: true });
});
