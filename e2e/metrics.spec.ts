import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { signIn } from './session';

// Issue 11, item 1's acceptance: a real Prometheus server (Debian's /usr/bin/prometheus, scripts/ensure-system.sh)
// scrapes the running Lifeboat's /metrics with a viewer token made through the API, and answers
// `backup_age_seconds` for the demo source `lifeboat-catalog` once it has a backup. The same server loads
// deploy/prometheus/alerts.yml (every rule evaluates without error on the real series) and runs every query of
// deploy/grafana/lifeboat.json; a second job without the token is refused (401), so the endpoint is not open.

const ROOT = path.resolve(import.meta.dirname, '..');
const PROMETHEUS = '/usr/bin/prometheus';
const LIFEBOAT = '127.0.0.1:3100'; // playwright.config.ts's web server
const STEP_MS = 60_000;
const suffix = crypto.randomBytes(4).toString('hex');

let tmp: string;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';

/** A port nothing listens on now (the kernel's pick on loopback). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test.beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-prometheus-'));
});

test.afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a real Prometheus scrapes /metrics with a viewer token and answers backup_age_seconds for lifeboat-catalog', async ({ page }) => {
  test.setTimeout(4 * STEP_MS);
  expect(fs.existsSync(PROMETHEUS), `${PROMETHEUS} is missing: bash scripts/ensure-system.sh`).toBe(true);
  let token = '';
  let tokenId = '';

  await test.step('a viewer token, made over the API by the signed-in admin; the demo source backed up', async () => {
    await signIn(page, { timeout: STEP_MS });
    const created = await page.request.post('/api/v1/tokens', { data: { name: `e2e-prometheus-${suffix}`, role: 'VIEWER' } });
    expect(created.status(), await created.text()).toBe(201);
    ({ token, id: tokenId } = (await created.json()) as { token: string; id: string });

    const auth = { Authorization: `Bearer ${token}` };
    const sources = (await (await page.request.get('/api/v1/sources', { headers: auth })).json()) as { items: Array<{ id: string; name: string }> };
    const demo = sources.items.find((s) => s.name === 'lifeboat-catalog');
    expect(demo, 'the demo source (server/inventory/ensure-demo-inventory.ts) exists').toBeDefined();
    // The viewer may read but not back up: the admin's session starts it.
    const started = await page.request.post(`/api/v1/sources/${demo!.id}/backups`);
    expect(started.status(), await started.text()).toBe(202);
    const run = (await started.json()) as { id: string };
    await expect
      .poll(async () => ((await (await page.request.get(`/api/v1/runs/${run.id}`, { headers: auth })).json()) as { status: string }).status, {
        timeout: STEP_MS,
        message: 'the backup of lifeboat-catalog succeeds',
      })
      .toBe('SUCCEEDED');

    // Over plain HTTP first: no token, no metrics.
    expect((await page.request.get('/metrics', { headers: { Authorization: '' } })).status()).toBe(401);
    const direct = await page.request.get('/metrics', { headers: auth });
    expect(direct.status()).toBe(200);
    expect(await direct.text()).toMatch(/^backup_age_seconds\{source="lifeboat-catalog",kind="postgres",service="",tier=""\} \d/m);
  });

  const port = await freePort();
  const api = `http://127.0.0.1:${port}/api/v1`;
  const query = async (promql: string) => {
    const res = await fetch(`${api}/query?query=${encodeURIComponent(promql)}`);
    return (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  };

  await test.step('Prometheus starts on a free loopback port with a scrape config holding the token', async () => {
    const config = [
      'global:',
      '  scrape_interval: 2s',
      '  scrape_timeout: 2s',
      '  evaluation_interval: 2s',
      'rule_files:',
      `  - ${JSON.stringify(path.join(ROOT, 'deploy/prometheus/alerts.yml'))}`,
      'scrape_configs:',
      '  - job_name: lifeboat',
      '    metrics_path: /metrics',
      '    authorization:',
      `      credentials: ${JSON.stringify(token)}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(LIFEBOAT)}]`,
      '  - job_name: lifeboat-without-token',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: [${JSON.stringify(LIFEBOAT)}]`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(tmp, 'prometheus.yml'), config, { mode: 0o600 });
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [prometheus.stdout!, prometheus.stderr!]) stream.on('data', (chunk: Buffer) => void (prometheusLog += chunk.toString()));
    await expect
      .poll(
        async () => {
          if (prometheus!.exitCode !== null) throw new Error(`prometheus exited ${prometheus!.exitCode}: ${prometheusLog}`);
          return fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.status, () => 0);
        },
        { timeout: STEP_MS, message: 'prometheus is ready' },
      )
      .toBe(200);
  });

  await test.step('the scrape succeeds with the token and is refused without it', async () => {
    type Target = { labels: { job: string }; health: string; lastError: string };
    const targets = async () => ((await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
    await expect
      .poll(async () => (await targets()).map((t) => `${t.labels.job}: ${t.health}`).sort(), { timeout: STEP_MS, message: prometheusLog })
      .toEqual(['lifeboat-without-token: down', 'lifeboat: up']);
    const refused = (await targets()).find((t) => t.labels.job === 'lifeboat-without-token')!;
    expect(refused.lastError).toMatch(/401/);
  });

  await test.step('PromQL answers backup_age_seconds for lifeboat-catalog, and the figures behind it', async () => {
    const age = await query('backup_age_seconds{job="lifeboat",source="lifeboat-catalog"}');
    expect(age.status).toBe('success');
    expect(age.data.result).toHaveLength(1);
    expect(age.data.result[0]!.metric).toMatchObject({ source: 'lifeboat-catalog', kind: 'postgres', job: 'lifeboat' });
    const seconds = Number(age.data.result[0]!.value[1]);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(10 * 60);
    const success = await query('backup_success_total{job="lifeboat",source="lifeboat-catalog"}');
    expect(Number(success.data.result[0]!.value[1])).toBeGreaterThanOrEqual(1);
    expect(Number((await query('backup_status{job="lifeboat",source="lifeboat-catalog"}')).data.result[0]!.value[1])).toBe(1);
    expect((await query('lifeboat_queue_jobs{job="lifeboat"}')).data.result.length).toBe(7);
    expect(Number((await query('up{job="lifeboat"}')).data.result[0]!.value[1])).toBe(1);
  });

  await test.step('the alert rules evaluate without error; every dashboard query runs', async () => {
    type Rule = { name: string; health: string; lastError?: string };
    const rules = async () =>
      ((await (await fetch(`${api}/rules`)).json()) as { data: { groups: Array<{ rules: Rule[]; lastEvaluation: string }> } }).data.groups;
    // Each group has been evaluated at least once after the first scrape.
    await expect
      .poll(async () => (await rules()).flatMap((g) => g.rules).filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), {
        timeout: STEP_MS,
      })
      .toEqual([]);
    expect((await rules()).flatMap((g) => g.rules).length).toBeGreaterThanOrEqual(10);

    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/lifeboat.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll('$source', '.*').replaceAll('$tier', '.*');
        const answer = await query(expr);
        expect(answer.status, `${panel.title}: ${expr}: ${answer.error ?? ''}`).toBe('success');
      }
    }
    const panelAge = await query('backup_age_seconds{source=~".*", tier=~".*"}');
    expect(panelAge.data.result.map((r) => r.metric.source)).toContain('lifeboat-catalog');
  });

  await test.step('the token revoked: the next scrape is refused', async () => {
    expect((await page.request.delete(`/api/v1/tokens/${tokenId}`)).status()).toBe(200);
    await expect
      .poll(
        async () => {
          const targets = ((await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Array<{ labels: { job: string }; health: string }> } }).data.activeTargets;
          return targets.find((t) => t.labels.job === 'lifeboat')?.health;
        },
        { timeout: STEP_MS, message: 'the scrape with the revoked token fails' },
      )
      .toBe('down');
  });
});
