import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { createToken, createUser } from './cli';
import { apiAs, server, withClient } from './fixtures';

// Issue 11 item 5: the remote CLI (`lifeboat`, cli/) against the built app on :3100 and its worker, spawned as a
// user would run it: the bin launcher (cli/lifeboat.mjs), argv arrays, and an environment holding only PATH, HOME,
// LIFEBOAT_URL and LIFEBOAT_TOKEN (no DATABASE_URL, no master key: it works from any machine). Tokens are made
// with the server-side CLI (e2e/cli.ts), the tier/service/source through the API; everything else through the CLI.

const ROOT = path.resolve(import.meta.dirname, '..');
// A backup or restore of a three-row database in the worker; 60 s covers a slow CI machine.
const STEP_MS = 60_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const suffix = `${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;
const sourceDb = `lb_e2e_cli_src_${suffix}`;
const restoredDb = `lb_e2e_cli_now_${suffix}`;
const approvedDb = `lb_e2e_cli_appr_${suffix}`;
const rejectedDb = `lb_e2e_cli_rej_${suffix}`;
const sourceName = `e2e-cli-${suffix}`;
const brokenName = `e2e-cli-broken-${suffix}`;
const tierName = `e2e-cli-tier-${suffix}`;
const approverEmail = `cli-approver-${suffix}@example.com`;

const quote = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

let baseURL = '';
let adminToken = '';
let operatorToken = '';
let approverToken = '';
let viewerToken = '';
let serviceId = '';
let sourceId = '';
let backupRunId = '';
let pointId = '';

/** Runs `lifeboat …` through the bin launcher as another machine would: URL and token only. */
async function lifeboat(args: string[], token: string, extraEnv: Record<string, string> = {}) {
  const r = await execa(process.execPath, [path.join(ROOT, 'cli/lifeboat.mjs'), ...args], {
    cwd: ROOT,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LIFEBOAT_URL: baseURL, LIFEBOAT_TOKEN: token, ...extraEnv },
    reject: false,
    // The output exactly as a shell would capture it, final newline included.
    stripFinalNewline: false,
    timeout: 2 * STEP_MS,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const rowsIn = (db: string) => withClient(db, async (c) => (await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n as number);
const databaseExists = (db: string) =>
  withClient(server().adminDatabase, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 1);

test.describe.configure({ mode: 'serial', retries: 0 });

test.beforeAll(async ({ request }, testInfo) => {
  baseURL = String(testInfo.project.use.baseURL);
  await withClient(server().adminDatabase, (c) => c.query(`CREATE DATABASE ${quote(sourceDb)}`));
  await withClient(sourceDb, (c) => c.query(`CREATE TABLE orders (id integer PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c');`));
  adminToken = createToken(`e2e-cli-admin-${suffix}`, 'admin');
  operatorToken = createToken(`e2e-cli-operator-${suffix}`, 'operator');
  viewerToken = createToken(`e2e-cli-viewer-${suffix}`, 'viewer');
  // Approving needs someone other than the requester (the operator token belongs to the first admin).
  createUser(approverEmail, 'approver');
  approverToken = createToken(`e2e-cli-approver-${suffix}`, 'approver', { owner: approverEmail });
  const admin = apiAs(request, adminToken);
  const tier = (await admin.post('/tiers', { name: tierName, rpoSeconds: 3600, rtoSeconds: 3600, restoreApprovals: 1 })) as { id: string };
  serviceId = ((await admin.post('/services', { name: `e2e-cli-service-${suffix}`, tierId: tier.id })) as { id: string }).id;
  const s = server();
  const config = { host: s.host, port: s.port, user: s.user, ...(s.password ? { password: s.password } : {}) };
  // No service yet: its restores need no approval until the test attaches it to the tier's service.
  sourceId = ((await admin.post('/sources', { kind: 'postgres', name: sourceName, config: { ...config, database: sourceDb } })) as { id: string }).id;
  // A database that does not exist: its backup fails at once (not retried).
  await admin.post('/sources', { kind: 'postgres', name: brokenName, config: { ...config, database: `lb_e2e_cli_missing_${suffix}` }, testConnection: false });
});

test.afterAll(async () => {
  await withClient(server().adminDatabase, async (c) => {
    for (const db of [restoredDb, approvedDb, rejectedDb, sourceDb]) await c.query(`DROP DATABASE IF EXISTS ${quote(db)} WITH (FORCE)`);
  });
});

async function patchSource(request: APIRequestContext, data: unknown) {
  const res = await request.patch(`/api/v1/sources/${sourceId}`, { headers: { Authorization: `Bearer ${adminToken}` }, data });
  expect(res.ok(), await res.text()).toBe(true);
}

test('backup <source> --wait prints progress on stderr, the outcome on stdout, and exits 0', async () => {
  test.setTimeout(2 * STEP_MS);
  const r = await lifeboat(['backup', sourceName, '--wait'], operatorToken);
  expect(r.code, r.stderr).toBe(0);
  // Not a terminal: plain progress lines, each naming the run, ending with its final state.
  expect(r.stderr).toMatch(new RegExp(`backup run (${UUID.source}) of ${sourceName} queued; following it`));
  backupRunId = UUID.exec(r.stderr)![0];
  expect(r.stderr).toMatch(new RegExp(`\\] backup run ${backupRunId}: (QUEUED|RUNNING)`));
  expect(r.stderr).toMatch(new RegExp(`\\] backup run ${backupRunId}: SUCCEEDED`));
  expect(r.stderr).not.toContain('\r');
  expect(r.stdout).toMatch(new RegExp(`^backup run ${backupRunId} of ${sourceName} succeeded in \\d+ s: recovery point (${UUID.source})\\n$`));
  pointId = new RegExp(`recovery point (${UUID.source})`).exec(r.stdout)![1]!;
});

test('points list --json is the API answer; the human list shows the point; sources list finds the source', async () => {
  const json = await lifeboat(['points', 'list', sourceName, '--json'], viewerToken);
  expect(json.code, json.stderr).toBe(0);
  const points = JSON.parse(json.stdout) as { items: { id: string; runId: string; sourceId: string; sizeBytes: number }[] };
  expect(points.items).toEqual([expect.objectContaining({ id: pointId, runId: backupRunId, sourceId, sizeBytes: expect.any(Number) })]);
  // By id too, in words.
  const human = await lifeboat(['points', 'list', sourceId], viewerToken);
  expect(human.code, human.stderr).toBe(0);
  expect(human.stdout).toMatch(new RegExp(`^ID\\s+CREATED\\s+SIZE\\s+VERIFIED\\s+COPIES\\s+PROTECTION\\n${pointId}\\s`));
  const sources = await lifeboat(['sources', 'list', '--json'], viewerToken);
  expect(sources.code).toBe(0);
  expect((JSON.parse(sources.stdout) as { items: { name: string }[] }).items.map((s) => s.name)).toEqual(expect.arrayContaining([sourceName, brokenName]));
});

test('restore without an approval rule runs at once; --wait follows it; --json answers { request, run }', async () => {
  test.setTimeout(2 * STEP_MS);
  const r = await lifeboat(['restore', pointId, '--target', `database=${restoredDb}`, '--reason', 'cli e2e: restore a copy', '--wait', '--json'], operatorToken);
  expect(r.code, r.stderr).toBe(0);
  const answer = JSON.parse(r.stdout) as { request: { id: string; status: string; runId: string }; run: { id: string; status: string; kind: string } };
  expect(answer.request).toMatchObject({ status: 'EXECUTED', runId: answer.run.id });
  expect(answer.run).toMatchObject({ kind: 'RESTORE', status: 'SUCCEEDED' });
  expect(r.stderr).toMatch(new RegExp(`restore run ${answer.run.id}: SUCCEEDED`));
  expect(await rowsIn(restoredDb)).toBe(3);
});

let requestId = '';

test('restore of a point whose tier needs an approval exits 0 with the request id and says it waits', async ({ request }) => {
  await patchSource(request, { serviceId });
  const r = await lifeboat(['restore', pointId, '--target', `database=${approvedDb}`, '--reason', 'cli e2e: needs one approval', '--wait'], operatorToken);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^restore request (${UUID.source}) waits for approval: 0 of 1 approval \\(tier ${tierName}: 1 approval\\)`));
  requestId = UUID.exec(r.stdout)![0];
  expect(r.stdout).toContain(`lifeboat requests approve ${requestId}`);
  // --wait does not wait for people.
  expect(r.stderr).toContain('nothing to follow until the request is approved');
  const stored = await apiAs(request, adminToken).get(`/restore-requests/${requestId}`);
  expect(stored).toMatchObject({ status: 'PENDING_APPROVAL', runId: null });
  expect(await databaseExists(approvedDb)).toBe(false);

  const list = await lifeboat(['requests', 'list', '--pending', '--json'], viewerToken);
  expect(list.code, list.stderr).toBe(0);
  expect((JSON.parse(list.stdout) as { items: { id: string }[] }).items.map((i) => i.id)).toContain(requestId);
  const show = await lifeboat(['requests', 'show', requestId], viewerToken);
  expect(show.stdout).toMatch(/status:\s+PENDING_APPROVAL/);
  expect(show.stdout).toContain('cli e2e: needs one approval');
});

test('requests approve: an operator may not (exit 3); the approver approves with --wait and the restore runs', async () => {
  test.setTimeout(2 * STEP_MS);
  const refused = await lifeboat(['requests', 'approve', requestId], operatorToken);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/FORBIDDEN: .*\(HTTP 403\)/);

  const r = await lifeboat(['requests', 'approve', requestId, '--comment', 'ok from the cli', '--wait'], approverToken);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`restore request ${requestId}: restore run ${UUID.source} queued; following it`));
  expect(r.stdout).toMatch(new RegExp(`^restore run ${UUID.source} of ${sourceName} succeeded in \\d+ s\\n$`));
  expect(await rowsIn(approvedDb)).toBe(3);
});

test('requests reject ends a waiting request', async ({ request }) => {
  const asked = await lifeboat(['restore', pointId, '--target', `{"database":"${rejectedDb}"}`, '--json'], operatorToken);
  expect(asked.code, asked.stderr).toBe(0);
  const { request: waiting, run } = JSON.parse(asked.stdout) as { request: { id: string; status: string }; run: null };
  expect(waiting.status).toBe('PENDING_APPROVAL');
  expect(run).toBeNull();
  const r = await lifeboat(['requests', 'reject', waiting.id, '--reason', 'not now'], approverToken);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`rejected restore request ${waiting.id}`);
  expect(await apiAs(request, adminToken).get(`/restore-requests/${waiting.id}`)).toMatchObject({ status: 'REJECTED' });
  await patchSource(request, { serviceId: null });
});

test('runs show: fields in words, --json the run, --logs its log lines', async () => {
  const human = await lifeboat(['runs', 'show', backupRunId], viewerToken);
  expect(human.code, human.stderr).toBe(0);
  expect(human.stdout).toMatch(/^run:\s+[0-9a-f-]{36}\nkind:\s+backup\nstatus:\s+SUCCEEDED\n/);
  expect(human.stdout).toMatch(new RegExp(`recovery point:\\s+${pointId}`));
  const json = await lifeboat(['runs', 'show', backupRunId, '--json', '--logs'], viewerToken);
  expect(json.code).toBe(0);
  const run = JSON.parse(json.stdout) as { id: string; status: string; outputRecoveryPointId: string; logs: { message: string }[] };
  expect(run).toMatchObject({ id: backupRunId, status: 'SUCCEEDED', outputRecoveryPointId: pointId });
  expect(run.logs.length).toBeGreaterThan(0);
});

test('a followed run that fails exits 1 with its error', async () => {
  test.setTimeout(2 * STEP_MS);
  const r = await lifeboat(['backup', brokenName, '--wait'], operatorToken);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`lifeboat: backup run ${UUID.source} of ${brokenName} FAILED: .+`));
});

test('audit verify --json: the chain is intact (exit 0); an operator may not read it (exit 3)', async () => {
  const r = await lifeboat(['audit', 'verify', '--json'], adminToken);
  expect(r.code, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout) as { ok: boolean; checked: number; firstBad: unknown };
  expect(report).toMatchObject({ ok: true, firstBad: null });
  expect(report.checked).toBeGreaterThan(0);
  const human = await lifeboat(['audit', 'verify'], approverToken);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/^audit chain intact: \d+ events\n/);
  expect((await lifeboat(['audit', 'verify'], operatorToken)).code).toBe(3);
});

test('slo: compliance per tier and the source’s figures', async () => {
  const human = await lifeboat(['slo'], viewerToken);
  expect(human.code, human.stderr).toBe(0);
  expect(human.stdout).toMatch(new RegExp(`^TIERS\\n`));
  expect(human.stdout).toContain(tierName);
  expect(human.stdout).toMatch(new RegExp(`\\n${sourceName}\\s+(OK|AT_RISK|BREACHED|UNKNOWN|UNPROTECTED)\\s`));
  const json = await lifeboat(['slo', '--json'], viewerToken);
  const slo = JSON.parse(json.stdout) as { tiers: { name: string }[]; sources: { sourceId: string; rto: { achievedSeconds: number | null } }[] };
  expect(slo.tiers.map((t) => t.name)).toContain(tierName);
  // Two restores of it succeeded above: the RTO rests on evidence now.
  expect(slo.sources.find((s) => s.sourceId === sourceId)?.rto.achievedSeconds).toEqual(expect.any(Number));
});

test('a bad token exits 3 and is never echoed; usage errors and API refusals exit 2; an unreachable server exits 4', async () => {
  const bad = `lbt_${crypto.randomBytes(16).toString('hex')}`;
  const r = await lifeboat(['sources', 'list'], bad);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain('UNAUTHENTICATED');
  expect(r.stdout + r.stderr).not.toContain(bad);
  const argv = await lifeboat(['--token', bad, 'sources', 'list', '--json'], '');
  expect(argv.code).toBe(3);
  expect(JSON.parse(argv.stderr)).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'API token is unknown, revoked or expired', exitCode: 3, status: 401 } });
  expect(argv.stdout + argv.stderr).not.toContain(bad);

  const missing = await lifeboat(['backup'], operatorToken);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("missing required argument 'source'");
  const unknown = await lifeboat(['backup', `no-such-source-${suffix}`], operatorToken);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain(`no source named "no-such-source-${suffix}"`);
  const reserved = await lifeboat(['restore', pointId, '--target', 'database=template1'], operatorToken);
  expect(reserved.code).toBe(2);
  expect(reserved.stderr).toMatch(/^lifeboat: VALIDATION: target\.database: .+ \(HTTP 422\)\n$/);

  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const down = await lifeboat(['sources', 'list'], operatorToken, { LIFEBOAT_URL: `http://127.0.0.1:${port}` });
  expect(down.code).toBe(4);
  expect(down.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
});
