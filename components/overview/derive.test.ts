import { describe, expect, it } from 'vitest';
import type { BackupReportRow, SloSource } from '@/components/api/types';
import { complianceWords, lastBackupBySource, nextRuns, nextStep, outOfTarget, rpoSeries, searchAndPage, successRate } from './derive';

const row = (sourceId: string, at: string, finishedAt: string, extra: Partial<BackupReportRow> = {}): BackupReportRow => ({
  runId: `${sourceId}-${at}`,
  sourceId,
  name: `name-${sourceId}`,
  at,
  finishedAt,
  durationSeconds: (Date.parse(finishedAt) - Date.parse(at)) / 1000,
  storedBytes: 100,
  pointId: `p-${at}`,
  verifyFailed: false,
  ...extra,
});

const slo = (name: string, status: SloSource['status'], extra: Partial<SloSource> = {}): SloSource => ({
  sourceId: name,
  name,
  serviceId: 'svc',
  tierId: 'tier',
  status,
  reasons: [],
  rpo: { targetSeconds: 300, achievedSeconds: 60, verifiedAchievedSeconds: null, pointId: 'p', pointAt: '2026-12-02T00:00:00Z' },
  rto: { targetSeconds: 3600, achievedSeconds: 120, estimated: false, runId: 'r' },
  missedSlots24h: 0,
  nextRunAt: null,
  ...extra,
});

describe('successRate', () => {
  it('is succeeded over finished, and null without evidence', () => {
    expect(successRate({ succeeded: 8, failed: 2 })).toBe(0.8);
    expect(successRate({ succeeded: 0, failed: 0 })).toBeNull();
    expect(successRate(undefined)).toBeNull();
    expect(successRate({ succeeded: 0, failed: 3 })).toBe(0);
  });
});

describe('rpoSeries', () => {
  const now = Date.parse('2026-12-02T03:00:00Z');
  it('samples the RPO just before each point replaced the previous one, then now', () => {
    const rows = [
      row('a', '2026-12-02T01:00:00Z', '2026-12-02T01:05:00Z'),
      // Out of order on purpose: the series sorts by data time.
      row('a', '2026-12-02T02:00:00Z', '2026-12-02T02:10:00Z'),
      row('a', '2026-12-02T00:00:00Z', '2026-12-02T00:01:00Z'),
    ];
    const s = rpoSeries(rows, now).get('a')!;
    expect(s.name).toBe('name-a');
    expect(s.samples).toEqual([
      { t: Date.parse('2026-12-02T01:05:00Z'), seconds: 3_900 },
      { t: Date.parse('2026-12-02T02:10:00Z'), seconds: 4_200 },
      { t: now, seconds: 3_600 },
    ]);
  });
  it('skips points whose verification failed: the gap stretches to the next good one', () => {
    const rows = [
      row('a', '2026-12-02T00:00:00Z', '2026-12-02T00:01:00Z'),
      row('a', '2026-12-02T01:00:00Z', '2026-12-02T01:01:00Z', { verifyFailed: true }),
      row('a', '2026-12-02T02:00:00Z', '2026-12-02T02:01:00Z'),
    ];
    expect(rpoSeries(rows, now).get('a')!.samples[0]).toEqual({ t: Date.parse('2026-12-02T02:01:00Z'), seconds: 7_260 });
  });
  it('keeps sources apart; one point gives only the current RPO; runs without a point are ignored', () => {
    const rows = [
      row('a', '2026-12-02T02:00:00Z', '2026-12-02T02:01:00Z'),
      row('b', '2026-12-02T02:30:00Z', '2026-12-02T02:31:00Z'),
      row('c', '2026-12-02T02:30:00Z', '2026-12-02T02:31:00Z', { pointId: null }),
    ];
    const series = rpoSeries(rows, now);
    expect(series.get('a')!.samples).toEqual([{ t: now, seconds: 3_600 }]);
    expect(series.get('b')!.samples).toEqual([{ t: now, seconds: 1_800 }]);
    expect(series.has('c')).toBe(false);
  });
});

describe('lastBackupBySource', () => {
  it('keeps the newest per source', () => {
    const m = lastBackupBySource([row('a', '2026-12-02T02:00:00Z', '2026-12-02T02:01:00Z'), row('a', '2026-12-02T01:00:00Z', '2026-12-02T01:01:00Z')]);
    expect(m.get('a')!.at).toBe('2026-12-02T02:00:00Z');
  });
});

describe('lists and words', () => {
  it('orders sources out of target worst first', () => {
    const list = outOfTarget([slo('z', 'UNKNOWN'), slo('ok', 'OK'), slo('b', 'BREACHED'), slo('a', 'AT_RISK'), slo('u', 'UNPROTECTED')]);
    expect(list.map((s) => s.name)).toEqual(['b', 'a', 'u', 'z']);
  });
  it('lists the next runs soonest first', () => {
    const list = nextRuns([slo('late', 'OK', { nextRunAt: '2026-12-02T05:00:00Z' }), slo('none', 'OK'), slo('soon', 'OK', { nextRunAt: '2026-12-02T04:00:00Z' })]);
    expect(list.map((s) => s.name)).toEqual(['soon', 'late']);
  });
  it('names the next step', () => {
    expect(nextStep(slo('a', 'UNPROTECTED', { reasons: ['no backup schedule'] }))).toBe('No schedule: add one to the policy');
    expect(nextStep(slo('a', 'UNKNOWN', { tierId: null }))).toBe('No tier: put the source in a service');
    expect(nextStep(slo('a', 'UNKNOWN', { rto: { targetSeconds: 1, achievedSeconds: null, estimated: true, runId: null } }))).toBe(
      'No restore yet: restore a point to measure the RTO',
    );
    expect(nextStep(slo('a', 'OK'))).toBeNull();
  });
  it('words a tier card', () => {
    expect(complianceWords({ name: 'tier-1-critical', sources: 4, compliant: 3 })).toBe('tier-1-critical: 3 of 4 sources within target');
    expect(complianceWords({ name: 't', sources: 0, compliant: 0 })).toBe('t: no sources yet');
  });
});

describe('searchAndPage', () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ name: `db-${String(i).padStart(3, '0')}`, kind: i % 2 ? 'postgres' : 'redis' }));
  it('pages past 50 and clamps the page', () => {
    expect(searchAndPage(items, '', 0, 50)).toMatchObject({ matches: 120, pages: 3, current: 0 });
    expect(searchAndPage(items, '', 2, 50).rows.map((r) => r.name)).toEqual(items.slice(100).map((r) => r.name));
    expect(searchAndPage(items, '', 9, 50).current).toBe(2);
  });
  it('searches name and kind in any case, then pages the matches', () => {
    expect(searchAndPage(items, '  DB-11', 0, 50).rows.map((r) => r.name)).toEqual(['db-110', 'db-111', 'db-112', 'db-113', 'db-114', 'db-115', 'db-116', 'db-117', 'db-118', 'db-119']);
    expect(searchAndPage(items, 'redis', 1, 50)).toMatchObject({ matches: 60, pages: 2, current: 1 });
    expect(searchAndPage(items, 'nothing', 3, 50)).toMatchObject({ matches: 0, pages: 1, current: 0, rows: [] });
  });
});
