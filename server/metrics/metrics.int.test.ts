/**
 * Issue 11, item 1: `GET /metrics` from the real catalog and queue. A tier-2 source with a history (backups that
 * succeeded and failed, verifies, a timed restore, missed slots, a pending and an OK copy) and a source in no
 * service are exported with the figures the catalog holds: counters are counts of runs, ages and the achieved RPO
 * are measured at the scrape, the stored size is every object of the point; the audit gauge follows the real check;
 * the route refuses a request without a token (401) and answers any role's token, a viewer's first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as metricsRoute from '@/app/metrics/route';
import { anchorAuditHead, reportAuditFailure, verifyAuditChain } from '@/server/audit';
import { createApiToken } from '@/server/auth/api-tokens';
import { ROLES, SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { createUser } from '@/server/auth/users';
import { closeProducer, enqueueJob } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { uniqueName } from '@/server/testing/pg';
import { unusedDestinationPath } from '@/server/testing/paths';
import { clearMetricsCache, closeQueueCounts, getMetrics, loadMetricFacts, renderMetrics } from './index';
import { parseExposition, samplesOf, valueOf, type Exposition } from './testing/parse-exposition';

// Own queue namespace: the runs queue's counts are this file's alone (other files' workers take jobs off theirs).
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-metrics');

const SECOND = 1_000;
const MARK = uniqueName('metrics');
const made = { sources: [] as string[], services: [] as string[], policies: [] as string[], destinations: [] as string[], users: [] as string[] };
const paths: string[] = [];

let tier: { id: string; name: string; rpoSeconds: number; rtoSeconds: number };
let primaryId: string;
let archiveId: string;
let primaryName: string;
let archiveName: string;
let serviceName: string;
let tiered: { id: string; name: string };
let loose: { id: string; name: string };
/** The moment the history below is laid out around; the scrape is rendered at it. */
const now = new Date(Math.floor(Date.now() / SECOND) * SECOND);
const ago = (seconds: number) => new Date(now.getTime() - seconds * SECOND);

async function destination(name: string) {
  const dir = unusedDestinationPath();
  paths.push(dir);
  const d = await db().destination.create({ data: { name, kind: 'local', config: { path: dir } } });
  made.destinations.push(d.id);
  return d.id;
}

/** A finished run; a successful backup also gets its point, whose objects are `objects` (bytes each). */
async function run(sourceId: string, kind: 'BACKUP' | 'VERIFY' | 'RESTORE', status: 'SUCCEEDED' | 'FAILED', startedAgo: number, seconds: number, objects: number[] = []) {
  const r = await db().run.create({
    data: { kind, status, sourceId, destinationId: primaryId, createdAt: ago(startedAgo + 2), startedAt: ago(startedAgo), finishedAt: ago(startedAgo - seconds) },
  });
  if (kind !== 'BACKUP' || status !== 'SUCCEEDED') return { runId: r.id, pointId: null };
  const point = await db().recoveryPoint.create({
    data: {
      sourceId,
      runId: r.id,
      destinationId: primaryId,
      engine: 'postgres',
      location: `sources/${sourceId}/${r.id}/data.pgdump`,
      // The columns describe the first object only; the metrics must add up all of them.
      sizeBytes: BigInt(objects[0] ?? 0),
      sha256: 'a'.repeat(64),
      manifest: {},
      createdAt: ago(startedAgo - seconds),
      objects: {
        create: objects.map((size, position) => ({ role: position === 0 ? 'data' : `extra.${position}`, position, key: `k/${r.id}/${position}`, sizeBytes: BigInt(size), sha256: 'b'.repeat(64) })),
      },
    },
  });
  return { runId: r.id, pointId: point.id };
}

/** A user with an API token of `role` (both audited: the trail then has a head to anchor). */
async function tokenFor(role: Actor['role']) {
  const user = await createUser({ actor: SYSTEM_ACTOR }, { email: `${uniqueName(MARK)}@example.test`, name: 'metrics test', password: crypto.randomBytes(18).toString('base64url'), role });
  made.users.push(user.id);
  return (await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: `${MARK}-prometheus`, role })).token;
}

async function scrape(at = now): Promise<Exposition> {
  const facts = await loadMetricFacts(db(), at);
  return parseExposition((await renderMetrics(facts, at)).text);
}

beforeAll(async () => {
  tier = await db().tier.findUniqueOrThrow({ where: { name: 'tier-2-important' }, select: { id: true, name: true, rpoSeconds: true, rtoSeconds: true } });
  primaryName = `${MARK}-primary`;
  archiveName = `${MARK}-archive`;
  primaryId = await destination(primaryName);
  archiveId = await destination(archiveName);
  const policy = await db().policy.create({
    data: { name: `${MARK}-policy`, destinationId: primaryId, schedules: [{ id: 'hourly', kind: 'backup', backupType: 'full', cron: '0 * * * *', timezone: 'UTC' }] },
  });
  made.policies.push(policy.id);
  serviceName = `${MARK} API "Gateway"`; // a quote, escaped in the exposition and read back
  const service = await db().service.create({ data: { name: serviceName, tierId: tier.id } });
  made.services.push(service.id);
  tiered = await db().source.create({ data: { name: `${MARK}-orders`, kind: 'postgres', config: {}, policyId: policy.id, serviceId: service.id }, select: { id: true, name: true } });
  loose = await db().source.create({ data: { name: `${MARK}-scratch`, kind: 'postgres', config: {} }, select: { id: true, name: true } });
  made.sources.push(tiered.id, loose.id);
});

afterAll(async () => {
  const sourceId = { in: made.sources };
  await db().scheduledSlot.deleteMany({ where: { sourceId } });
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } }); // objects and copies cascade
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().service.deleteMany({ where: { id: { in: made.services } } });
  await db().policy.deleteMany({ where: { id: { in: made.policies } } });
  await db().destination.deleteMany({ where: { id: { in: made.destinations } } });
  await db().user.deleteMany({ where: { id: { in: made.users } } });
  for (const p of paths) fs.rmSync(p, { recursive: true, force: true });
  await closeQueueCounts();
  await closeProducer();
  // The job this file queued, under its own prefix: nobody else will ever take it.
  const redis = redisConnection('publisher');
  for await (const keys of redis.scanStream({ match: `${process.env.LIFEBOAT_QUEUE_PREFIX}:*` }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
  await redis.quit();
  await disconnectDb();
});

describe('the collector, from the catalog', () => {
  it('a source with no run yet: counters at 0, its targets, no age, size, status or achieved figures', async () => {
    const m = await scrape();
    const labels = { source: tiered.name, kind: 'postgres', service: serviceName, tier: tier.name };
    for (const name of ['backup_success_total', 'backup_failed_total', 'backup_verification_success_total', 'backup_verification_failed_total', 'backup_test_success_total', 'lifeboat_missed_slots_total']) {
      expect(samplesOf(m, name, labels), name).toEqual([{ name, labels, value: 0 }]);
    }
    expect(valueOf(m, 'lifeboat_rpo_target_seconds', labels)).toBe(tier.rpoSeconds);
    expect(valueOf(m, 'lifeboat_rto_target_seconds', labels)).toBe(tier.rtoSeconds);
    for (const name of ['backup_age_seconds', 'backup_size_bytes', 'backup_duration_seconds', 'backup_status', 'lifeboat_rpo_achieved_seconds', 'lifeboat_rto_achieved_seconds']) {
      expect(samplesOf(m, name, { source: tiered.name }), name).toEqual([]);
    }
    expect(m.types.get('backup_success_total')).toBe('counter');
    expect(m.types.get('backup_age_seconds')).toBe('gauge');
  });

  it('exports what the catalog holds: the newest backup, outcomes counted, RPO and RTO from evidence', async () => {
    await run(tiered.id, 'BACKUP', 'SUCCEEDED', 7_200, 40, [700, 300]);
    await run(tiered.id, 'BACKUP', 'FAILED', 3_600, 10);
    // The newest good backup: started 130 s ago, 30 s long, three objects (the point's columns say 3000 only).
    await run(tiered.id, 'BACKUP', 'SUCCEEDED', 130, 30, [3_000, 1_500, 500]);
    await run(tiered.id, 'VERIFY', 'SUCCEEDED', 5_000, 5);
    await run(tiered.id, 'VERIFY', 'SUCCEEDED', 4_000, 5);
    await run(tiered.id, 'VERIFY', 'FAILED', 3_000, 5);
    // A restore test that took 14 s from its request (created 2 s before it started) to its end.
    await run(tiered.id, 'RESTORE', 'SUCCEEDED', 60, 12);
    await run(tiered.id, 'RESTORE', 'FAILED', 50, 1);
    await db().scheduledSlot.createMany({
      data: [
        // A day and a half ago: outside the SLO's 24 h window, still in the all-time counter.
        { sourceId: tiered.id, scheduleId: 'hourly', kind: 'backup', slotAt: ago(36 * 3_600), state: 'MISSED', reason: 'no worker was running' },
        { sourceId: tiered.id, scheduleId: 'hourly', kind: 'backup', slotAt: ago(2 * 3_600), state: 'MISSED', reason: 'no worker was running' },
        { sourceId: tiered.id, scheduleId: 'hourly', kind: 'backup', slotAt: ago(3_600), state: 'SKIPPED', reason: 'overlap' },
      ],
    });
    // The source in no service: one backup of one object, no counters but its own.
    await run(loose.id, 'BACKUP', 'SUCCEEDED', 90_000, 60, [42]);

    const m = await scrape();
    const labels = { source: tiered.name, kind: 'postgres', service: serviceName, tier: tier.name };
    expect(valueOf(m, 'backup_age_seconds', labels)).toBe(100);
    expect(valueOf(m, 'backup_duration_seconds', labels)).toBe(30);
    expect(valueOf(m, 'backup_size_bytes', labels)).toBe(5_000);
    expect(valueOf(m, 'backup_status', labels)).toBe(1); // the failure is older than the newest success
    expect(valueOf(m, 'backup_success_total', labels)).toBe(2);
    expect(valueOf(m, 'backup_failed_total', labels)).toBe(1);
    expect(valueOf(m, 'backup_verification_success_total', labels)).toBe(2);
    expect(valueOf(m, 'backup_verification_failed_total', labels)).toBe(1);
    expect(valueOf(m, 'backup_test_success_total', labels)).toBe(1);
    expect(valueOf(m, 'backup_test_failed_total', labels)).toBe(1);
    expect(valueOf(m, 'lifeboat_missed_slots_total', labels)).toBe(2);
    // Achieved RPO: from the data time (the backup's start), as GET /slo says; achieved RTO: request → end.
    expect(valueOf(m, 'lifeboat_rpo_achieved_seconds', labels)).toBe(130);
    expect(valueOf(m, 'lifeboat_rto_achieved_seconds', labels)).toBe(14);

    // No service, no tier: the labels are empty, there are no targets.
    const bare = { source: loose.name, kind: 'postgres', service: '', tier: '' };
    expect(valueOf(m, 'backup_age_seconds', bare)).toBe(90_000 - 60);
    expect(valueOf(m, 'backup_size_bytes', bare)).toBe(42);
    expect(valueOf(m, 'backup_success_total', bare)).toBe(1);
    expect(samplesOf(m, 'lifeboat_rpo_target_seconds', { source: loose.name })).toEqual([]);
    expect(samplesOf(m, 'lifeboat_rto_target_seconds', { source: loose.name })).toEqual([]);

    // Measured at the scrape: a minute later, a minute older; the counters unchanged.
    const later = await scrape(new Date(now.getTime() + 60 * SECOND));
    expect(valueOf(later, 'backup_age_seconds', labels)).toBe(160);
    expect(valueOf(later, 'lifeboat_rpo_achieved_seconds', labels)).toBe(190);
    expect(valueOf(later, 'backup_success_total', labels)).toBe(2);
  });

  it('backup_status follows the last finished backup; a point failing verification leaves the achieved RPO', async () => {
    const labels = { source: tiered.name };
    await run(tiered.id, 'BACKUP', 'FAILED', 40, 10);
    expect(valueOf(await scrape(), 'backup_status', labels)).toBe(0);
    expect(valueOf(await scrape(), 'backup_failed_total', labels)).toBe(2);

    const newest = await db().recoveryPoint.findFirstOrThrow({ where: { sourceId: tiered.id }, orderBy: { createdAt: 'desc' } });
    await db().recoveryPoint.update({ where: { id: newest.id }, data: { verifyError: 'sha256 mismatch', verifiedAt: null } });
    const m = await scrape();
    // The older point (started 7200 s ago) is now the newest that counts; the backup itself is still the newest.
    expect(valueOf(m, 'lifeboat_rpo_achieved_seconds', labels)).toBe(7_200);
    expect(valueOf(m, 'backup_age_seconds', labels)).toBe(100);
    await db().recoveryPoint.update({ where: { id: newest.id }, data: { verifyError: null } });
  });

  it('copies and storage per destination and storage class; the runs queue by state', async () => {
    const before = await scrape();
    const points = await db().recoveryPoint.findMany({ where: { sourceId: tiered.id }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    const [older, newer] = points as [{ id: string }, { id: string }];
    await db().recoveryPointCopy.create({ data: { recoveryPointId: older.id, destinationId: archiveId, location: 'x', status: 'COPY_OK', storageClass: 'GLACIER' } });
    await db().recoveryPointCopy.create({ data: { recoveryPointId: newer.id, destinationId: archiveId, location: 'y', status: 'COPY_PENDING' } });
    await enqueueJob('retention.prune', { sourceId: tiered.id }, `metrics-test-${crypto.randomUUID()}`);

    // The copy counts are the catalog's, every source's: read them in the scrape's snapshot to compare.
    const { m, pending, failed } = await db().$transaction(
      async (tx) => ({
        m: parseExposition((await renderMetrics(await loadMetricFacts(tx, now), now)).text),
        pending: await tx.recoveryPointCopy.count({ where: { status: 'COPY_PENDING' } }),
        failed: await tx.recoveryPointCopy.count({ where: { status: 'COPY_FAILED' } }),
      }),
      { isolationLevel: 'RepeatableRead' },
    );
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'lifeboat_copies_pending')).toBe(pending);
    expect(valueOf(m, 'lifeboat_copies_failed')).toBe(failed);
    // Primary: both points of the source (1000 + 5000 bytes, every object) and the other source's; the archive: the OK
    // copy only, in its class.
    expect(valueOf(m, 'lifeboat_storage_bytes', { destination: primaryName, storage_class: 'default' })).toBe(6_042); // and the source in no service's 42 bytes
    expect(valueOf(m, 'lifeboat_storage_bytes', { destination: archiveName, storage_class: 'GLACIER' })).toBe(1_000);
    expect(samplesOf(m, 'lifeboat_storage_bytes', { destination: archiveName })).toHaveLength(1);
    // A pruned primary is no longer on the destination.
    await db().recoveryPoint.update({ where: { id: older.id }, data: { primaryDeletedAt: new Date() } });
    expect(valueOf(await scrape(), 'lifeboat_storage_bytes', { destination: primaryName, storage_class: 'default' })).toBe(5_042);

    const states = samplesOf(m, 'lifeboat_queue_jobs').map((s) => s.labels.state);
    expect(states.sort()).toEqual(['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children']);
    expect(valueOf(before, 'lifeboat_queue_jobs', { state: 'waiting' })).toBe(0);
    expect(valueOf(m, 'lifeboat_queue_jobs', { state: 'waiting' })).toBe(1);
  });

  it('lifeboat_audit_chain_ok is the last audit check: 1 after a check that verified, 0 after one that failed', async () => {
    await tokenFor('VIEWER'); // an empty trail has no head to anchor: the check would leave no trace
    // What the check does when the chain verifies: anchor its head (here on a folder of this test's own rather than
    // on every destination of the catalog, which other test files write and list).
    const report = await verifyAuditChain();
    const anchors = unusedDestinationPath();
    paths.push(anchors);
    await anchorAuditHead({ actor: SYSTEM_ACTOR }, { report, driverFor: (d) => createLocalDiskDriver({ root: path.join(anchors, d.id) }) });
    expect(valueOf(await scrape(new Date()), 'lifeboat_audit_chain_ok')).toBe(1);

    // What the check records when the chain does not verify (reportAuditFailure: the `audit.verify-failed` event).
    await reportAuditFailure({ ...report, ok: false, firstBad: { id: '1', problem: 'changed', detail: 'metrics test' } }, { period: `metrics-test:${MARK}` });
    expect(valueOf(await scrape(new Date()), 'lifeboat_audit_chain_ok')).toBe(0);
  });
});

describe('GET /metrics', () => {
  type Handler = (req: Request) => Promise<Response>;
  const get = (headers: Record<string, string> = {}) => (metricsRoute.GET as Handler)(new Request('http://127.0.0.1/metrics', { headers }));

  it('401 without a token or with an unknown one; the answer says what to send', async () => {
    for (const headers of [{}, { authorization: 'Bearer lbt_not-a-token' }, { authorization: 'Basic cHJvbTpwcm9t' }] as Record<string, string>[]) {
      const res = await get(headers);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
    }
    expect((await (await get()).json()).error.message).toBe('Send an API token: Authorization: Bearer <token>');
  });

  it('200 in the Prometheus text format with a viewer token, and with every other role', async () => {
    clearMetricsCache();
    const res = await get({ authorization: `Bearer ${await tokenFor('VIEWER')}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parseExposition(await res.text());
    expect(valueOf(m, 'backup_success_total', { source: tiered.name, tier: tier.name })).toBe(2);
    expect(valueOf(m, 'backup_age_seconds', { source: tiered.name })).toBeGreaterThanOrEqual(100);
    for (const role of ROLES.filter((r) => r !== 'VIEWER')) {
      expect((await get({ authorization: `Bearer ${await tokenFor(role)}` })).status, role).toBe(200);
    }
  });

  it('answers from a cache of a few seconds: two scrapes in a row read the catalog once', async () => {
    clearMetricsCache();
    const viewer: Actor = { type: 'system', id: null, label: 'metrics test', role: 'VIEWER' };
    const first = parseExposition((await getMetrics({ actor: viewer })).text);
    await run(tiered.id, 'VERIFY', 'SUCCEEDED', 10, 1);
    const cached = parseExposition((await getMetrics({ actor: viewer })).text);
    expect(valueOf(cached, 'backup_verification_success_total', { source: tiered.name })).toBe(valueOf(first, 'backup_verification_success_total', { source: tiered.name }));
    clearMetricsCache();
    const fresh = parseExposition((await getMetrics({ actor: viewer })).text);
    expect(valueOf(fresh, 'backup_verification_success_total', { source: tiered.name })).toBe(valueOf(first, 'backup_verification_success_total', { source: tiered.name })! + 1);
  });
});
