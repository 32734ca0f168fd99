import { describe, expect, it } from 'vitest';
import { can, ROLES } from '@/server/auth/permissions';
import { METRIC_NAMES, METRICS } from './definitions';
import { renderMetrics } from './render-metrics';
import { fullFacts } from './testing/full-facts';
import { parseExposition, samplesOf, valueOf } from './testing/parse-exposition';

const now = new Date('2026-12-02T12:00:00.000Z');
const orders = { source: 'orders-db', kind: 'postgres', service: 'API Gateway', tier: 'tier-1-critical' };

describe('renderMetrics', () => {
  it('exports every declared metric with its type, the per-source ones under source, kind, service and tier', async () => {
    const m = parseExposition((await renderMetrics(fullFacts(now), now)).text);
    for (const d of Object.values(METRICS)) {
      expect(m.types.get(d.name), d.name).toBe(d.type);
      const samples = samplesOf(m, d.name);
      expect(samples.length, d.name).toBeGreaterThan(0);
      for (const s of samples) expect(Object.keys(s.labels).sort(), d.name).toEqual([...d.labelNames].sort());
    }
    expect(METRIC_NAMES).not.toContain('lifeboat_wal_archive_lag_seconds');
    expect(METRIC_NAMES).not.toContain('lifeboat_wal_gaps');
  });

  it('turns the facts into figures at the scrape time', async () => {
    const m = parseExposition((await renderMetrics(fullFacts(now), now)).text);
    expect(valueOf(m, 'backup_age_seconds', orders)).toBe(90);
    expect(valueOf(m, 'backup_size_bytes', orders)).toBe(5_000);
    expect(valueOf(m, 'backup_duration_seconds', orders)).toBe(30);
    expect(valueOf(m, 'backup_status', orders)).toBe(1);
    expect(valueOf(m, 'backup_success_total', orders)).toBe(12);
    expect(valueOf(m, 'backup_failed_total', orders)).toBe(1);
    expect(valueOf(m, 'backup_test_success_total', orders)).toBe(1);
    expect(valueOf(m, 'lifeboat_missed_slots_total', orders)).toBe(2);
    expect(valueOf(m, 'lifeboat_rpo_achieved_seconds', orders)).toBe(120);
    expect(valueOf(m, 'lifeboat_rpo_target_seconds', orders)).toBe(300);
    expect(valueOf(m, 'lifeboat_rto_achieved_seconds', orders)).toBe(20);
    expect(valueOf(m, 'lifeboat_rto_target_seconds', orders)).toBe(3_600);
    expect(valueOf(m, 'lifeboat_storage_bytes', { destination: 'local-backups', storage_class: 'default' })).toBe(5_000);
    expect(valueOf(m, 'lifeboat_storage_bytes', { destination: 'offsite', storage_class: 'GLACIER' })).toBe(4_000);
    expect(valueOf(m, 'lifeboat_queue_jobs', { state: 'waiting' })).toBe(1);
    expect(valueOf(m, 'lifeboat_audit_chain_ok')).toBe(1);
    const later = parseExposition((await renderMetrics(fullFacts(now), new Date(now.getTime() + 10_000))).text);
    expect(valueOf(later, 'backup_age_seconds', orders)).toBe(100);
  });

  it('leaves out what has no evidence rather than exporting 0', async () => {
    const facts = fullFacts(now);
    facts.sources.set('src-orders', { ...facts.sources.get('src-orders')!, lastBackup: null, lastFailureAt: null });
    facts.slo.sources[0]!.points = [];
    facts.slo.sources[0]!.runs = [];
    facts.queue = null;
    facts.auditChainOk = null;
    const m = parseExposition((await renderMetrics(facts, now)).text);
    for (const name of ['backup_age_seconds', 'backup_size_bytes', 'backup_status', 'lifeboat_rpo_achieved_seconds', 'lifeboat_rto_achieved_seconds', 'lifeboat_queue_jobs', 'lifeboat_audit_chain_ok']) {
      expect(samplesOf(m, name), name).toEqual([]);
    }
    expect(valueOf(m, 'backup_success_total', orders)).toBe(12); // counters stay
    expect(valueOf(m, 'lifeboat_rpo_target_seconds', orders)).toBe(300);
  });

  it('backup_status is 0 when the newest finished backup failed; the audit gauge 0 when the last check failed', async () => {
    const facts = fullFacts(now);
    facts.sources.get('src-orders')!.lastFailureAt = new Date(now.getTime() - 10_000);
    facts.auditChainOk = false;
    const m = parseExposition((await renderMetrics(facts, now)).text);
    expect(valueOf(m, 'backup_status', orders)).toBe(0);
    expect(valueOf(m, 'lifeboat_audit_chain_ok')).toBe(0);
  });

  it('escapes label values (a service name with quotes, a backslash, a line break)', async () => {
    const facts = fullFacts(now);
    facts.slo.sources[0]!.serviceName = 'A "quoted"\\ service\nnext';
    const text = (await renderMetrics(facts, now)).text;
    expect(valueOf(parseExposition(text), 'backup_success_total', { service: 'A "quoted"\\ service\nnext' })).toBe(12);
  });
});

describe('metrics:read', () => {
  it('is every role’s', () => {
    for (const role of ROLES) expect(can({ type: 'token', id: 't', label: 't', role }, 'metrics:read'), role).toBe(true);
  });
});
