import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { createToken } from './cli';
import { apiAs, server } from './fixtures';
import { signIn } from './session';

// Issue 9, item 6: the Audit page. An admin filters the trail by action, opens an event's details, downloads the
// filtered set as CSV and runs the chain's verification.

const STEP_MS = 60_000;
const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const CSV_HEADER = 'id,at,actorType,actorId,actorUserId,actorLabel,action,targetType,targetId,result,requestId,ip,userAgent,details,alg,prevHash,hash';

interface AuditEvent {
  id: string;
  action: string;
  targetId: string | null;
  hash: string;
  requestId: string | null;
}

test('an admin filters the audit trail, reads an event, exports it and verifies the chain', async ({ page, request }) => {
  test.setTimeout(4 * STEP_MS);
  const token = createToken(`e2e-audit-${suffix}`, 'admin');
  const api = apiAs(request, token);
  const name = `e2e-audit-${suffix}`;

  const event = await test.step('a change to find: a new source, audited as source.create', async () => {
    const s = server();
    const source = (await api.post('/sources', {
      kind: 'postgres',
      name,
      config: { host: s.host, port: s.port, database: 'postgres', user: s.user, ...(s.password ? { password: s.password } : {}) },
      testConnection: false,
    })) as { id: string };
    const found = (await api.get(`/audit?action=source.create&targetId=${source.id}`)) as { items: AuditEvent[] };
    expect(found.items).toHaveLength(1);
    return found.items[0]!;
  });

  await signIn(page, { timeout: STEP_MS });

  await test.step('the Audit entry in the navigation opens the page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();
    await expect(page.getByTestId('audit-row').first()).toBeVisible();
  });

  await test.step('filtering by action leaves only that action', async () => {
    await page.getByLabel('Action').selectOption('source.create');
    const row = page.locator(`[data-testid="audit-row"][data-event-id="${event.id}"]`);
    await expect(row).toBeVisible();
    // The unfiltered page stays on screen until the filtered one arrives (it may hold the event too): wait for it.
    await expect
      .poll(async () => new Set(await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))), {
        message: 'only source.create events are listed',
      })
      .toEqual(new Set(['source.create']));
    await expect(row).toBeVisible();
  });

  await test.step("the event's details show its parameters, request and hash", async () => {
    await page.getByRole('button', { name: `Show details of event ${event.id}` }).click();
    const details = page.locator(`[data-testid="audit-event-details"][data-event-id="${event.id}"]`);
    await expect(details).toBeVisible();
    await expect(details.getByTestId('audit-details-json')).toContainText(name);
    await expect(details.getByTestId('audit-hash')).toContainText(event.hash);
    await expect(details.getByTestId('audit-request-id')).toHaveText(event.requestId ?? '—');
    // The password the source was created with is never part of an audit event.
    const password = server().password;
    if (password) await expect(details.getByTestId('audit-details-json')).not.toContainText(password);
  });

  await test.step('Export CSV downloads the filtered set', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^lifeboat-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith(`${CSV_HEADER}\r\n`)).toBe(true);
    expect(csv).toContain(`,source.create,source,${event.targetId},`);
    expect(csv).toContain(event.hash);
    // Filtered: every record is a source.create (the action column), none of the other actions. Labels hold commas
    // (quoted), so the records are read, not split.
    const [header, ...records] = parseCsv(csv);
    expect(header!.join(',')).toBe(CSV_HEADER);
    const actions = records.map((r) => r[header!.indexOf('action')]);
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['source.create']));
  });

  await test.step('the export API refuses a bad filter naming it, and answers JSON for the same set', async () => {
    const headers = { Authorization: `Bearer ${token}` };
    const bad = await request.get('/api/v1/audit/export?format=xml', { headers });
    expect(bad.status()).toBe(422);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^format: /);
    const json = await request.get(`/api/v1/audit/export?format=json&action=source.create&targetId=${event.targetId}`, { headers });
    expect(json.headers()['content-disposition']).toMatch(/^attachment; filename="lifeboat-audit-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(((await json.json()) as AuditEvent[]).map((e) => e.id)).toEqual([event.id]);
  });

  await test.step('Verify now says the chain is intact, with its count and time', async () => {
    const panel = page.getByTestId('audit-verify');
    await panel.getByRole('button', { name: 'Verify now' }).click();
    await expect(panel.getByTestId('verify-status')).toHaveText('Intact', { timeout: STEP_MS });
    await expect(panel.getByTestId('verify-checked')).toContainText(/\d+ events? verified/);
    await expect(panel.getByTestId('verify-first-bad')).toContainText('none');
    await expect(panel.locator('time')).toBeVisible();
  });
});

/** RFC 4180 records (CRLF between them, quoted fields with doubled quotes), read independently of the writer. */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && input[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
