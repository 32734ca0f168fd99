/**
 * The SLO figures from the real catalog: a source in a tier-1 service with one backup point moves UNKNOWN (no point)
 * → UNKNOWN (point, no restore evidence) → OK (a timed restore) → BREACHED (time passes) → UNPROTECTED (paused),
 * as `GET /api/v1/slo`'s verb reports it; and the slots listing pages newest first without losing a slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { getSource } from '@/server/inventory/get-source';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { getSlo, sourceSlo } from './get-slo';
import { listSlots } from './list-slots';
import { unusedDestinationPath } from '@/server/testing/paths';

const viewer: Actor = { type: 'system', id: null, label: 'slo test viewer', role: 'VIEWER' };
const SECOND = 1_000;
const created = { sources: [] as string[], policies: [] as string[], services: [] as string[], destinations: [] as string[] };
let destinationId: string;
let policyId: string;
let serviceId: string;
let tierId: string;
let sourceId: string;
let pointId: string;

beforeAll(async () => {
  const tier = await db().tier.findUniqueOrThrow({ where: { name: 'tier-1-critical' } });
  tierId = tier.id;
  const destination = await db().destination.create({ data: { name: uniqueName('slo-dest'), kind: 'local', config: { path: unusedDestinationPath() } } });
  destinationId = destination.id;
  created.destinations.push(destinationId);
  const policy = await db().policy.create({
    data: {
      name: uniqueName('slo-policy'),
      destinationId,
      schedules: [{ id: 'every-minute', kind: 'backup', backupType: 'full', cron: '* * * * *', timezone: 'UTC' }],
    },
  });
  policyId = policy.id;
  created.policies.push(policyId);
  const service = await db().service.create({ data: { name: uniqueName('API Gateway'), tierId } });
  serviceId = service.id;
  created.services.push(serviceId);
  const source = await db().source.create({ data: { name: uniqueName('slo-src'), kind: 'postgres', config: {}, policyId, serviceId } });
  sourceId = source.id;
  created.sources.push(sourceId);
});

afterAll(async () => {
  const sourceIdIn = { in: created.sources };
  await db().scheduledSlot.deleteMany({ where: { sourceId: sourceIdIn } });
  await db().run.updateMany({ where: { sourceId: sourceIdIn }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId: sourceIdIn } });
  await db().run.deleteMany({ where: { sourceId: sourceIdIn } });
  await db().source.deleteMany({ where: { id: sourceIdIn } });
  await db().service.deleteMany({ where: { id: { in: created.services } } });
  await db().policy.deleteMany({ where: { id: { in: created.policies } } });
  await db().destination.deleteMany({ where: { id: { in: created.destinations } } });
  await disconnectDb();
});

async function addPoint(forSource: string, startedAt: Date, sizeBytes = 1_000_000n) {
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: forSource, destinationId, createdAt: startedAt, startedAt, finishedAt: new Date(startedAt.getTime() + 20 * SECOND) },
  });
  const point = await db().recoveryPoint.create({
    data: {
      sourceId: forSource,
      runId: run.id,
      destinationId,
      engine: 'postgres',
      location: `sources/${forSource}/${run.id}/data.pgdump`,
      sizeBytes,
      sha256: 'a'.repeat(64),
      manifest: {},
      createdAt: new Date(startedAt.getTime() + 20 * SECOND),
    },
  });
  return point.id;
}

async function sloOf(now: Date, id = sourceId) {
  const slo = await getSlo({ actor: viewer }, now);
  const source = slo.sources.find((s) => s.sourceId === id);
  expect(source).toBeDefined();
  return { slo, source: source! };
}

describe('GET /api/v1/slo (getSlo)', () => {
  it('UNKNOWN with no recovery point yet; the tier and the service count the source', async () => {
    const { slo, source } = await sloOf(new Date());
    expect(source).toMatchObject({ status: 'UNKNOWN', serviceId, tierId, missedSlots24h: 0 });
    expect(source.reasons).toContain('no recovery point yet');
    expect(source.rpo).toEqual({ targetSeconds: 300, achievedSeconds: null, verifiedAchievedSeconds: null, pointId: null, pointAt: null });
    expect(source.nextRunAt).not.toBeNull();
    expect(slo.services.find((s) => s.id === serviceId)).toEqual({ id: serviceId, name: expect.any(String), tierId, sources: 1, compliant: 0, compliance: 0 });
    expect(slo.tiers.find((t) => t.id === tierId)).toMatchObject({ name: 'tier-1-critical', rpoSeconds: 300, rtoSeconds: 3_600 });
  });

  it('UNKNOWN with a point but no restore evidence, its achieved RPO measured from the backup start', async () => {
    const startedAt = new Date(Date.now() - 60 * SECOND);
    pointId = await addPoint(sourceId, startedAt);
    const now = new Date();
    const { source } = await sloOf(now);
    expect(source.status).toBe('UNKNOWN');
    expect(source.rpo).toMatchObject({ pointId, pointAt: startedAt.toISOString(), achievedSeconds: Math.ceil((now.getTime() - startedAt.getTime()) / 1000) });
    expect(source.rto).toMatchObject({ targetSeconds: 3_600, achievedSeconds: null, runId: null });
  });

  it('OK once a restore of it succeeded: that restore run’s duration is the RTO; the service is compliant', async () => {
    const createdAt = new Date(Date.now() - 30 * SECOND);
    const restore = await db().run.create({
      data: { kind: 'RESTORE', status: 'SUCCEEDED', sourceId, inputPointId: pointId, createdAt, startedAt: createdAt, finishedAt: new Date(createdAt.getTime() + 12 * SECOND) },
    });
    const { slo, source } = await sloOf(new Date());
    expect(source.status).toBe('OK');
    expect(source.reasons).toEqual([]);
    expect(source.rto).toEqual({ targetSeconds: 3_600, achievedSeconds: 12, estimated: false, estimatedSeconds: null, runId: restore.id });
    expect(slo.services.find((s) => s.id === serviceId)).toMatchObject({ sources: 1, compliant: 1, compliance: 1 });
    // The source page carries the same object (GET /api/v1/sources/{id} → `slo`).
    const same = { ...source, rpo: { ...source.rpo, achievedSeconds: expect.any(Number) } };
    expect(await sourceSlo(db(), sourceId)).toEqual(same);
    expect((await getSource({ actor: viewer }, sourceId)).slo).toEqual(same);
  });

  it('a point whose verification failed stops counting; one verified again counts', async () => {
    await db().recoveryPoint.update({ where: { id: pointId }, data: { verifyError: 'checksum verification failed', verifiedAt: null } });
    const failed = await sloOf(new Date());
    expect(failed.source.status).toBe('UNKNOWN');
    expect(failed.source.rpo.pointId).toBeNull();
    expect(failed.source.reasons).toContain('no usable recovery point: its only point failed verification');
    await db().recoveryPoint.update({ where: { id: pointId }, data: { verifyError: null, verifiedAt: new Date() } });
    const verified = await sloOf(new Date());
    expect(verified.source.status).toBe('OK');
    expect(verified.source.rpo.verifiedAchievedSeconds).toBe(verified.source.rpo.achievedSeconds);
  });

  it('BREACHED once the point is older than the tier’s RPO; missed slots of the last day are counted', async () => {
    await db().scheduledSlot.create({
      data: { sourceId, policyId, scheduleId: 'every-minute', kind: 'backup', slotAt: new Date(Date.now() - 5 * 60 * SECOND), state: 'MISSED', reason: 'no worker was running' },
    });
    const { source } = await sloOf(new Date(Date.now() + 10 * 60 * SECOND));
    expect(source.status).toBe('BREACHED');
    expect(source.reasons.some((r) => /^RPO 1\d min( \d+ s)? exceeds the target 5 min$/.test(r))).toBe(true);
    expect(source.missedSlots24h).toBe(1);
  });

  it('UNPROTECTED while the policy is paused', async () => {
    await db().policy.update({ where: { id: policyId }, data: { paused: true } });
    try {
      const { source } = await sloOf(new Date());
      expect(source.status).toBe('UNPROTECTED');
      expect(source.nextRunAt).toBeNull();
      expect(source.reasons[0]).toMatch(/is paused$/);
    } finally {
      await db().policy.update({ where: { id: policyId }, data: { paused: false } });
    }
  });

  it('a source never restored gets an RTO estimated from its point size and the installation’s restores', async () => {
    const other = await db().source.create({ data: { name: uniqueName('slo-lone'), kind: 'postgres', config: {}, policyId } });
    created.sources.push(other.id);
    await addPoint(other.id, new Date(Date.now() - 30 * SECOND), 120_000_000n);
    const { source } = await sloOf(new Date(), other.id);
    // No service, so no tier: status by protection only.
    expect(source).toMatchObject({ status: 'OK', serviceId: null, tierId: null });
    expect(source.rto.estimated).toBe(true);
    expect(source.rto.achievedSeconds).toBeNull();
    expect(source.rto.estimatedSeconds).toBeGreaterThan(0);
    expect(source.reasons).toContain('no service, so no tier: no RPO/RTO targets');
    expect(source.reasons.some((r) => r.startsWith('no restore yet: RTO estimated from 120 MB at '))).toBe(true);
  });

  it('needs a signed-in reader', async () => {
    await expect(getSlo({ actor: null })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('GET /api/v1/sources/{id}/slots (listSlots)', () => {
  it('pages newest first with `before`, never splitting slots of the same instant', async () => {
    await db().scheduledSlot.deleteMany({ where: { sourceId } });
    const base = Date.parse('2026-11-30T10:00:00Z');
    const at = (m: number) => new Date(base + m * 60 * SECOND);
    const rows = [0, 1, 2, 3, 4].map((m) => ({ sourceId, policyId, scheduleId: 'a', kind: 'backup', slotAt: at(m), state: (m === 1 ? 'MISSED' : 'STARTED') as 'STARTED' | 'MISSED' | 'SKIPPED', reason: m === 1 ? 'no worker was running' : null }));
    rows.push({ sourceId, policyId, scheduleId: 'b', kind: 'verify', slotAt: at(2), state: 'SKIPPED', reason: 'policy paused' });
    await db().scheduledSlot.createMany({ data: rows });

    const seen: { scheduleId: string; slotAt: string }[] = [];
    let before: string | undefined;
    const pages: number[] = [];
    for (let i = 0; i < 10; i++) {
      const page = await listSlots({ actor: viewer }, sourceId, { limit: '3', ...(before ? { before } : {}) });
      pages.push(page.items.length);
      seen.push(...page.items);
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    // 3 per page would cut the two 10:02 slots apart: the first page stops before them.
    expect(pages).toEqual([2, 3, 1]);
    expect(seen.map((s) => `${s.scheduleId}@${s.slotAt.slice(11, 16)}`)).toEqual(['a@10:04', 'a@10:03', 'a@10:02', 'b@10:02', 'a@10:01', 'a@10:00']);

    const blank = await listSlots({ actor: viewer }, sourceId, { state: '', before: '', limit: '' });
    expect(blank.items).toHaveLength(6);
    const missed = await listSlots({ actor: viewer }, sourceId, { state: 'missed' });
    expect(missed).toEqual({ items: [expect.objectContaining({ state: 'MISSED', reason: 'no worker was running', runId: null, scheduleId: 'a', kind: 'backup', slotAt: at(1).toISOString() })], nextBefore: null });
  });

  it('refuses an unknown state naming `state` (422), and an unknown source (404)', async () => {
    const error = await listSlots({ actor: viewer }, sourceId, { state: 'LOST' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZodError);
    const response = errorResponse(error);
    expect(response.status).toBe(422);
    expect((await response.json()).error.message).toMatch(/^state: must be one of STARTED, MISSED, SKIPPED/);
    await expect(listSlots({ actor: viewer }, crypto.randomUUID(), {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(listSlots({ actor: viewer }, sourceId, { before: 'yesterday' })).rejects.toBeInstanceOf(ZodError);
  });
});
