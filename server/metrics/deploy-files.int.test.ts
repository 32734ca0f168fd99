/**
 * Issue 11, item 2: the alert rules and the Grafana dashboard in deploy/ are valid for the real tools and read only
 * what `GET /metrics` exports. `promtool check rules` parses the rules; `promtool test rules` runs
 * deploy/prometheus/alerts.test.yml, whose series make BackupTooOld and RpoBreached (and the others) fire; with those
 * two rules disabled the same tests fail, so they are what the tests exercise. The dashboard's queries are checked by
 * the same PromQL parser (as recording rules). Needs promtool (Debian package prometheus, scripts/ensure-system.sh).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from './definitions';
import { renderMetrics } from './render-metrics';
import { fullFacts } from './testing/full-facts';
import { parseExposition } from './testing/parse-exposition';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PROM = path.join(ROOT, 'deploy/prometheus');
const RULES = path.join(PROM, 'alerts.yml');
const RULE_TESTS = path.join(PROM, 'alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/lifeboat.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-deploy-'));

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function promtool(args: string[], cwd = PROM) {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`promtool could not run (${r.error.message}): bash scripts/ensure-system.sh installs it`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Every name of Lifeboat's metrics that `text` refers to (the exporter's `backup_*` and Lifeboat's `lifeboat_*`). */
const metricNamesIn = (text: string) => new Set([...text.matchAll(/\b(?:backup|lifeboat)_[a-z0-9_]+\b/g)].map((m) => m[0]));

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
}
const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { title: string; uid: string; panels: Panel[]; templating: { list: Array<{ name: string }> } };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

describe('deploy/prometheus/alerts.yml', () => {
  it('passes promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes promtool test rules alerts.test.yml: BackupTooOld and RpoBreached fire, and not before their time', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('the same tests fail once BackupTooOld and RpoBreached can no longer fire', () => {
    const rules = fs.readFileSync(RULES, 'utf8');
    const never = rules
      .replace('expr: backup_age_seconds > lifeboat_rpo_target_seconds', 'expr: vector(0) > 1')
      .replace(/(- alert: RpoBreached\n\s+expr: )\|\n(?:\s{10}.*\n)+/, '$1vector(0) > 1\n');
    expect(never).not.toBe(rules);
    fs.writeFileSync(path.join(tmp, 'alerts.yml'), never);
    fs.copyFileSync(RULE_TESTS, path.join(tmp, 'alerts.test.yml'));
    const r = promtool(['test', 'rules', 'alerts.test.yml'], tmp);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/alertname: BackupTooOld/);
    expect(r.out).toMatch(/alertname: RpoBreached/);
  });

  it('names the alerts the issue asks for', () => {
    const names = new Set([...fs.readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]));
    for (const alert of ['BackupTooOld', 'BackupFailed', 'BackupSizeTooSmall', 'RpoBreached', 'RtoUnknownOrBreached', 'MissedSlots', 'CopiesFailing', 'AuditChainBroken']) {
      expect(names, alert).toContain(alert);
    }
  });
});

describe('deploy/grafana/lifeboat.json', () => {
  it('has the panels of the runbooks and Lifeboat’s objectives, each on the chosen Prometheus', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of ['Backup age', 'Backup success rate (24 h)', 'Backup size trends', 'RPO achieved vs target', 'RTO achieved vs target', 'Restoration test results']) {
      expect(titles, title).toContain(title);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'tier', 'source']);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('every query parses as PromQL (promtool, as recording rules with the variables filled in)', () => {
    const rules = queries.map((q, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(q.expr.replaceAll('$source', '.*').replaceAll('$tier', '.*'))}`);
    const file = path.join(tmp, 'dashboard-queries.yml');
    fs.writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
    const r = promtool(['check', 'rules', file], tmp);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});

describe('what deploy/ reads is what /metrics exports', () => {
  it('every metric a rule or a panel names is exported by the collector', async () => {
    const now = new Date();
    const exported = parseExposition((await renderMetrics(fullFacts(now), now)).text);
    const used = new Set([...metricNamesIn(fs.readFileSync(RULES, 'utf8')), ...queries.flatMap((q) => [...metricNamesIn(q.expr)])]);
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) {
      expect(METRIC_NAMES, name).toContain(name);
      expect(exported.types.has(name), `${name} in the exposition`).toBe(true);
    }
    // The rule tests feed only series the collector exports, so they test the rules against real names.
    for (const name of metricNamesIn(fs.readFileSync(RULE_TESTS, 'utf8'))) expect(METRIC_NAMES, `alerts.test.yml: ${name}`).toContain(name);
  });

  it('the rules and the dashboard use the same job as the documented scrape config', () => {
    const ops = fs.readFileSync(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
    expect(ops).toMatch(/job_name: lifeboat\b/);
    expect(fs.readFileSync(RULES, 'utf8')).toMatch(/up\{job="lifeboat"\}/);
  });
});
