import { describe, expect, it } from 'vitest';
import { summarizeCompliance } from './compliance';
import { evaluateSource, type InstallationFacts, type SourceFacts } from './evaluate-source';
import { restoreThroughput, type PointRecord, type RunRecord } from './evidence';
import { nextFireInWindow, scheduleOutlook } from './next-fire';
import { formatBytes, formatSeconds } from './wording';

const NOW = new Date('2026-12-02T12:00:00Z');
const MIN = 60_000;
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * MIN);
const TIER_1 = { rpoSeconds: 300, rtoSeconds: 3_600 };
const HOURLY = [{ id: 'hourly', kind: 'backup', backupType: 'full', cron: '0 * * * *', timezone: 'UTC' }];
const EVERY_MINUTE = [{ id: 'minutely', kind: 'backup', cron: '* * * * *', timezone: 'UTC' }];
const MEASURED: InstallationFacts = { restoreBytesPerSecond: 80_000_000 };

let seq = 0;
/** A complete point whose backup started `minutesAgo` and took a minute. */
function point(minutesAgo: number, extra: Partial<PointRecord> = {}): PointRecord {
  return { id: `p${++seq}`, runStartedAt: ago(minutesAgo), createdAt: ago(minutesAgo - 1), sizeBytes: 1_200_000_000, verifiedAt: null, verifyError: null, ...extra };
}
function run(kind: RunRecord['kind'], minutesAgo: number, seconds: number, status: RunRecord['status'] = 'SUCCEEDED'): RunRecord {
  const createdAt = ago(minutesAgo);
  return { id: `r${++seq}`, kind, status, createdAt, startedAt: createdAt, finishedAt: status === 'SUCCEEDED' || status === 'FAILED' ? new Date(createdAt.getTime() + seconds * 1000) : null };
}
function facts(over: Partial<SourceFacts> & { schedules?: unknown[] } = {}): SourceFacts {
  const { schedules = EVERY_MINUTE, ...rest } = over;
  return {
    sourceId: 's1',
    name: 'orders-db',
    serviceId: 'svc',
    serviceName: 'API Gateway',
    tierId: 'tier-1',
    targets: TIER_1,
    policy: { name: 'nightly', paused: false },
    outlook: scheduleOutlook(schedules, NOW),
    points: [point(2)],
    runs: [run('RESTORE', 30, 600)],
    missedSlots24h: 0,
    ...rest,
  };
}

describe('evaluateSource', () => {
  it('OK: a fresh point, a timed restore within the target and a backup due well before the RPO runs out', () => {
    const restore = run('RESTORE', 30, 600);
    const slo = evaluateSource(facts({ runs: [restore, run('BACKUP', 2, 30)] }), MEASURED, NOW);
    expect(slo.status).toBe('OK');
    expect(slo.reasons).toEqual([]);
    expect(slo.rpo).toMatchObject({ targetSeconds: 300, achievedSeconds: 120, verifiedAchievedSeconds: null, pointAt: ago(2).toISOString() });
    // The restore run's duration (request → end) becomes the RTO.
    expect(slo.rto).toEqual({ targetSeconds: 3_600, achievedSeconds: 600, estimated: false, estimatedSeconds: null, runId: restore.id });
    expect(slo.nextRunAt).toBe('2026-12-02T12:01:00.000Z');
  });

  it('takes the newest successful restore of the source, whatever came before or after it', () => {
    const older = run('RESTORE', 300, 50);
    const newest = run('RESTORE', 60, 900);
    const failed = run('RESTORE', 10, 5, 'FAILED');
    const slo = evaluateSource(facts({ runs: [older, newest, failed] }), MEASURED, NOW);
    expect(slo.rto).toMatchObject({ achievedSeconds: 900, runId: newest.id });
  });

  it('BREACHED: the achieved RPO exceeds the target, worded for people', () => {
    const slo = evaluateSource(facts({ points: [point(125)] }), MEASURED, NOW);
    expect(slo.status).toBe('BREACHED');
    expect(slo.rpo.achievedSeconds).toBe(7_500);
    expect(slo.reasons).toContain('RPO 2 h 5 min exceeds the target 5 min');
  });

  it('BREACHED: the last restore took longer than the RTO target', () => {
    const slo = evaluateSource(facts({ runs: [run('RESTORE', 200, 5_400)] }), MEASURED, NOW);
    expect(slo.status).toBe('BREACHED');
    expect(slo.reasons).toContain('RTO 1 h 30 min (the last restore) exceeds the target 1 h');
  });

  it('AT_RISK: the RPO target runs out before the next hourly backup can finish', () => {
    // Point from 11:58; target 5 min → runs out 12:03; the next backup fires 13:00.
    const slo = evaluateSource(facts({ schedules: HOURLY, points: [point(2)], runs: [run('RESTORE', 30, 600), run('BACKUP', 62, 40)] }), MEASURED, NOW);
    expect(slo.status).toBe('AT_RISK');
    expect(slo.reasons.join('\n')).toMatch(/RPO target runs out at 2026-12-02 12:03 UTC, before the next backup \(2026-12-02 13:00 UTC\) can finish, about 40 s after it starts/);
  });

  it('AT_RISK from the backup durations: the next fire is in time but the backup takes too long', () => {
    // Target runs out at 12:03; next fire 12:01; the last backups took 3 min (median), so it lands at 12:04.
    const runs = [run('RESTORE', 30, 600), run('BACKUP', 10, 180), run('BACKUP', 20, 170), run('BACKUP', 30, 200)];
    expect(evaluateSource(facts({ runs }), MEASURED, NOW).status).toBe('AT_RISK');
    // A backup running since 11:59 that typically takes 3 min lands at 12:02: in time.
    const running = { ...run('BACKUP', 1, 0, 'RUNNING') };
    expect(evaluateSource(facts({ runs: [...runs, running] }), MEASURED, NOW).status).toBe('OK');
  });

  it('UNKNOWN: no recovery point yet', () => {
    const slo = evaluateSource(facts({ points: [], runs: [] }), MEASURED, NOW);
    expect(slo.status).toBe('UNKNOWN');
    expect(slo.rpo).toMatchObject({ achievedSeconds: null, pointId: null, pointAt: null });
    expect(slo.reasons).toContain('no recovery point yet');
    expect(slo.rto.estimated).toBe(false);
  });

  it('UNKNOWN: no restore yet, with the RTO estimated from the point size and the measured throughput', () => {
    const slo = evaluateSource(facts({ runs: [] }), MEASURED, NOW);
    expect(slo.status).toBe('UNKNOWN');
    expect(slo.rto).toEqual({ targetSeconds: 3_600, achievedSeconds: null, estimated: true, estimatedSeconds: 15, runId: null });
    expect(slo.reasons).toContain('no restore yet: RTO estimated from 1.2 GB at 80 MB/s (about 15 s)');
  });

  it('UNKNOWN without any restore on the installation: no estimate at all', () => {
    const slo = evaluateSource(facts({ runs: [] }), { restoreBytesPerSecond: null }, NOW);
    expect(slo.status).toBe('UNKNOWN');
    expect(slo.rto).toMatchObject({ achievedSeconds: null, estimated: false, estimatedSeconds: null });
    expect(slo.reasons).toContain('no restore yet, and none on this installation to estimate the RTO from');
  });

  it('an estimate over the target is said, but is not a breach (no restore has shown it)', () => {
    const slo = evaluateSource(facts({ runs: [], points: [point(2, { sizeBytes: 400_000_000_000 })] }), MEASURED, NOW);
    expect(slo.status).toBe('UNKNOWN');
    expect(slo.reasons).toContain('the estimated RTO 1 h 23 min exceeds the target 1 h');
  });

  it('UNPROTECTED: no policy, no backup schedule, or a paused policy, whatever the evidence', () => {
    const none = evaluateSource(facts({ policy: null }), MEASURED, NOW);
    expect(none.status).toBe('UNPROTECTED');
    expect(none.nextRunAt).toBeNull();
    const verifyOnly = evaluateSource(facts({ schedules: [{ id: 'v', kind: 'verify', cron: '0 5 * * *', timezone: 'UTC' }] }), MEASURED, NOW);
    expect(verifyOnly.status).toBe('UNPROTECTED');
    expect(verifyOnly.reasons).toContain('no backup schedule on policy nightly');
    expect(verifyOnly.nextRunAt).toBe('2026-12-03T05:00:00.000Z');
    const paused = evaluateSource(facts({ policy: { name: 'nightly', paused: true } }), MEASURED, NOW);
    expect(paused.status).toBe('UNPROTECTED');
    expect(paused.reasons).toContain('policy nightly is paused');
    expect(paused.nextRunAt).toBeNull();
    // The achieved figures are still computed and shown.
    expect(paused.rpo.achievedSeconds).toBe(120);
  });

  it('a point whose verification failed does not count; one verified from a copy (primary damaged) does', () => {
    const failed = point(1, { verifyError: 'sha256 mismatch', verifiedAt: null });
    const good = point(20, { verifiedAt: ago(10) });
    const slo = evaluateSource(facts({ points: [failed, good] }), MEASURED, NOW);
    expect(slo.rpo).toMatchObject({ pointId: good.id, achievedSeconds: 1_200, verifiedAchievedSeconds: 1_200 });
    expect(slo.status).toBe('BREACHED');

    const damagedPrimary = point(1, { verifyError: 'primary missing', verifiedAt: ago(0.5) });
    expect(evaluateSource(facts({ points: [damagedPrimary, good] }), MEASURED, NOW).rpo.pointId).toBe(damagedPrimary.id);

    const onlyFailed = evaluateSource(facts({ points: [failed], pointCount: 1 }), MEASURED, NOW);
    expect(onlyFailed.status).toBe('UNKNOWN');
    expect(onlyFailed.reasons).toContain('no usable recovery point: its only point failed verification');
  });

  it('a shredded key makes a point unreadable: it does not count either', () => {
    const shredded = point(1, { keyShredded: true, verifiedAt: ago(0.5) });
    const older = point(3);
    const slo = evaluateSource(facts({ points: [shredded, older] }), MEASURED, NOW);
    expect(slo.rpo).toMatchObject({ pointId: older.id, verifiedAchievedSeconds: null });
  });

  it('the data time is the backup start (else the point creation), and the newest by data time wins', () => {
    const longRunning = point(30, { createdAt: ago(0) }); // started 11:30, finished just now
    const quick = point(5, { createdAt: ago(4) }); // started 11:55
    expect(evaluateSource(facts({ points: [longRunning, quick] }), MEASURED, NOW).rpo.pointId).toBe(quick.id);
    const legacy = point(0, { runStartedAt: null, createdAt: ago(3) });
    expect(evaluateSource(facts({ points: [legacy] }), MEASURED, NOW).rpo.achievedSeconds).toBe(180);
  });

  it('verifiedAchievedSeconds measures from the newest verified point', () => {
    const slo = evaluateSource(facts({ points: [point(2), point(90, { verifiedAt: ago(60) })] }), MEASURED, NOW);
    expect(slo.rpo.achievedSeconds).toBe(120);
    expect(slo.rpo.verifiedAchievedSeconds).toBe(5_400);
  });

  it('no tier: status by protection only, and the reasons say "no tier"', () => {
    const old = evaluateSource(facts({ targets: null, tierId: null, points: [point(600)], runs: [] }), MEASURED, NOW);
    expect(old.status).toBe('OK');
    expect(old.rpo.targetSeconds).toBeNull();
    expect(old.reasons).toContain('no tier on service API Gateway: no RPO/RTO targets');
    const noService = evaluateSource(facts({ serviceId: null, targets: null, tierId: null, points: [] }), MEASURED, NOW);
    expect(noService.status).toBe('UNKNOWN');
    expect(noService.reasons).toContain('no service, so no tier: no RPO/RTO targets');
    expect(evaluateSource(facts({ targets: null, tierId: null, policy: null }), MEASURED, NOW).status).toBe('UNPROTECTED');
  });
});

describe('summarizeCompliance', () => {
  it('counts the sources within both targets per tier and per service', () => {
    const sources = [
      evaluateSource(facts({ sourceId: 'a', serviceId: 'gw' }), MEASURED, NOW), // OK
      evaluateSource(facts({ sourceId: 'b', serviceId: 'gw', points: [point(125)] }), MEASURED, NOW), // BREACHED
      evaluateSource(facts({ sourceId: 'c', serviceId: 'wf', runs: [] }), MEASURED, NOW), // UNKNOWN
      evaluateSource(facts({ sourceId: 'd', serviceId: 'wf', schedules: HOURLY }), MEASURED, NOW), // AT_RISK: still within
    ];
    expect(sources.map((s) => s.status)).toEqual(['OK', 'BREACHED', 'UNKNOWN', 'AT_RISK']);
    const summary = summarizeCompliance(
      [
        { id: 'tier-1', name: 'tier-1-critical', rpoSeconds: 300, rtoSeconds: 3_600 },
        { id: 'tier-3', name: 'tier-3-standard', rpoSeconds: 3_600, rtoSeconds: 86_400 },
      ],
      [
        { id: 'gw', name: 'API Gateway', tierId: 'tier-1' },
        { id: 'wf', name: 'Workflow Engine', tierId: 'tier-1' },
        { id: 'empty', name: 'Reporting', tierId: 'tier-3' },
      ],
      sources,
    );
    expect(summary.tiers).toEqual([
      { id: 'tier-1', name: 'tier-1-critical', rpoSeconds: 300, rtoSeconds: 3_600, sources: 4, compliant: 2, compliance: 0.5 },
      { id: 'tier-3', name: 'tier-3-standard', rpoSeconds: 3_600, rtoSeconds: 86_400, sources: 0, compliant: 0, compliance: null },
    ]);
    expect(summary.services).toEqual([
      { id: 'gw', name: 'API Gateway', tierId: 'tier-1', sources: 2, compliant: 1, compliance: 0.5 },
      { id: 'wf', name: 'Workflow Engine', tierId: 'tier-1', sources: 2, compliant: 1, compliance: 0.5 },
      { id: 'empty', name: 'Reporting', tierId: 'tier-3', sources: 0, compliant: 0, compliance: null },
    ]);
  });
});

describe('schedules and throughput', () => {
  it('the next fire respects the time zone and the window', () => {
    expect(nextFireInWindow({ cron: '0 3 * * 0', timezone: 'UTC' }, NOW)?.toISOString()).toBe('2026-12-06T03:00:00.000Z');
    expect(nextFireInWindow({ cron: '0 3 * * *', timezone: 'Europe/Berlin' }, NOW)?.toISOString()).toBe('2026-12-03T02:00:00.000Z');
    // Hourly, but only between 01:00 and 05:00 UTC: the next one inside is tomorrow 01:00.
    expect(nextFireInWindow({ cron: '0 * * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } }, NOW)?.toISOString()).toBe('2026-12-03T01:00:00.000Z');
    // Across midnight: 22:00–02:00 from noon is tonight's 22:00.
    expect(nextFireInWindow({ cron: '0 * * * *', timezone: 'UTC', window: { start: '22:00', end: '02:00' } }, NOW)?.toISOString()).toBe('2026-12-02T22:00:00.000Z');
    expect(nextFireInWindow({ cron: 'not a cron', timezone: 'UTC' }, NOW)).toBeNull();
    expect(scheduleOutlook([{ junk: true }, ...HOURLY, { id: 'v', kind: 'verify', cron: '0 5 * * *', timezone: 'UTC' }], NOW)).toEqual({ backupSchedules: 1, nextBackupAt: new Date('2026-12-02T13:00:00Z'), nextRunAt: new Date('2026-12-02T13:00:00Z') });
  });

  it('restore throughput is total stored bytes over total time of the recent restores', () => {
    const at = (m: number) => ago(m);
    expect(restoreThroughput([])).toBeNull();
    expect(restoreThroughput([{ sizeBytes: 100, createdAt: at(10), finishedAt: at(10) }])).toBeNull();
    expect(restoreThroughput([
      { sizeBytes: 600_000_000, createdAt: at(10), finishedAt: new Date(at(10).getTime() + 5_000) },
      { sizeBytes: 200_000_000, createdAt: at(20), finishedAt: new Date(at(20).getTime() + 5_000) },
    ])).toBe(80_000_000);
  });

  it('words durations and sizes for people', () => {
    expect([formatSeconds(7_500), formatSeconds(3_600), formatSeconds(42), formatSeconds(90_061), formatSeconds(0)]).toEqual(['2 h 5 min', '1 h', '42 s', '1 d 1 h', '0 s']);
    expect([formatBytes(1_234_567_890), formatBytes(80_000_000), formatBytes(512), formatBytes(12_300)]).toEqual(['1.2 GB', '80 MB', '512 B', '12 kB']);
  });
});
