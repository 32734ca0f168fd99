import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { RUNS_QUEUE } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { runArtifactKeys } from '@/server/storage/layout';
import { uniqueName } from '@/server/testing/pg';
import { enqueueDuePrunes, handlePruneJob } from '@/workers/maintenance/prune-retention';
import { deleteRecoveryPoint } from './delete-recovery-point';
import { planSourcePruning } from './plan-source-pruning';
import { pruneSource } from './prune-source';
import { requestPrune } from './request-prune';
import { setLegalHold } from './set-legal-hold';
import { setPolicyRetention } from './set-policy-retention';
import { lockRecoveryPoint } from './set-retention-lock';
import type { RetentionPolicyInput } from './retention-policy';

/** A lock's typed confirmation: the point's source name (set-retention-lock.ts). */
const confirmOf = async (pointId: string) =>
  (await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId }, select: { source: { select: { name: true } } } })).source.name;

// Own queue prefix: prune jobs enqueued here are never taken by another file's worker.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-retention');

const viewer: Actor = { type: 'system', id: null, label: 'retention test viewer', role: 'VIEWER' };
const operator: Actor = { type: 'system', id: null, label: 'retention test operator', role: 'OPERATOR' };
const approver: Actor = { type: 'system', id: null, label: 'retention test approver', role: 'APPROVER' };

const HOUR_MS = 3_600_000;
let backupsDir: string;
let destinationId: string;
const created = { sources: [] as string[], policies: [] as string[] };

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-retention-test-'));
  const dest = await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } });
  destinationId = dest.id;
});

afterAll(async () => {
  const sourceId = { in: created.sources };
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { id: { in: created.policies } } });
  await db().destination.delete({ where: { id: destinationId } });
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

/** A source with its own policy; `retention` undefined leaves the policy's retention null. */
async function makeSource(retention?: RetentionPolicyInput) {
  const policy = await db().policy.create({ data: { name: uniqueName('policy'), destinationId } });
  created.policies.push(policy.id);
  const source = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {}, policyId: policy.id } });
  created.sources.push(source.id);
  if (retention !== undefined) await setPolicyRetention({ actor: operator }, policy.id, retention);
  return { sourceId: source.id, policyId: policy.id };
}

interface PointOpts {
  verified?: boolean;
  legalHold?: boolean;
  lockedUntil?: Date;
}

/** A succeeded backup run, its recovery point row and real data + manifest files, `hoursAgo` hours old. */
async function addPoint(sourceId: string, hoursAgo: number, opts: PointOpts = {}) {
  const createdAt = new Date(Date.now() - hoursAgo * HOUR_MS);
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId, startedAt: createdAt, finishedAt: createdAt, createdAt },
  });
  const keys = runArtifactKeys({ sourceId, runId: run.id, startedAt: createdAt }, 'pgdump');
  const bytes = crypto.randomBytes(64);
  fs.mkdirSync(path.join(backupsDir, keys.prefix), { recursive: true });
  fs.writeFileSync(path.join(backupsDir, keys.data), bytes);
  fs.writeFileSync(path.join(backupsDir, keys.manifest), '{}');
  const point = await db().recoveryPoint.create({
    data: {
      sourceId,
      runId: run.id,
      destinationId,
      engine: 'postgres',
      location: keys.data,
      sizeBytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      manifest: {},
      createdAt,
      verifiedAt: opts.verified ? createdAt : null,
      legalHold: opts.legalHold ?? false,
      lockedUntil: opts.lockedUntil ?? null,
    },
  });
  return { id: point.id, data: path.join(backupsDir, keys.data), manifest: path.join(backupsDir, keys.manifest) };
}

const remainingIds = async (sourceId: string) =>
  (await db().recoveryPoint.findMany({ where: { sourceId }, orderBy: { createdAt: 'desc' }, select: { id: true } })).map((p) => p.id);

describe('retention: dry-run plan', () => {
  it('reflects the policy, with sizes, dates and reasons; no retention keeps everything', async () => {
    const { sourceId, policyId } = await makeSource();
    const points = [await addPoint(sourceId, 1), await addPoint(sourceId, 2), await addPoint(sourceId, 3), await addPoint(sourceId, 4)];

    const none = await planSourcePruning({ actor: viewer }, sourceId);
    expect(none.retention).toBeNull();
    expect(none.delete).toEqual([]);
    expect(none.keep.map((k) => k.reasons)).toEqual(Array(4).fill(['no retention rule']));

    await setPolicyRetention({ actor: operator }, policyId, { keepLast: 2 });
    const plan = await planSourcePruning({ actor: viewer }, sourceId);
    expect(plan.retention).toMatchObject({ keepLast: 2, timezone: 'UTC' });
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual([
      [points[0]!.id, ['keep-last 2']],
      [points[1]!.id, ['keep-last 2']],
    ]);
    expect(plan.delete.map((d) => [d.id, d.reason])).toEqual([
      [points[2]!.id, 'not among the last 2'],
      [points[3]!.id, 'not among the last 2'],
    ]);
    expect(plan.delete[0]).toMatchObject({ sizeBytes: 64, verified: false, legalHold: false, lockedUntil: null });
    expect(new Date(plan.delete[0]!.createdAt).getTime()).toBeLessThan(Date.now() - 2 * HOUR_MS);
    // The dry run changed nothing.
    expect(await remainingIds(sourceId)).toHaveLength(4);

    await expect(setPolicyRetention({ actor: operator }, policyId, { keepLast: 0 })).rejects.toMatchObject({ code: 'VALIDATION' });
    await setPolicyRetention({ actor: operator }, policyId, null);
    expect((await db().policy.findUniqueOrThrow({ where: { id: policyId } })).retention).toBeNull();
    const audits = await db().auditEvent.count({ where: { action: 'policy.retention-set', targetId: policyId } });
    expect(audits).toBe(2);
  });
});

describe('retention: pruning', () => {
  it('deletes exactly the planned points and their files, one audit event each', async () => {
    const { sourceId } = await makeSource({ keepLast: 2 });
    const points = [await addPoint(sourceId, 1), await addPoint(sourceId, 2), await addPoint(sourceId, 3), await addPoint(sourceId, 4)];
    const plan = await planSourcePruning({ actor: viewer }, sourceId);

    const result = await pruneSource(sourceId);
    expect(result.refused).toEqual([]);
    expect(result.deleted.map((d) => d.id)).toEqual(plan.delete.map((d) => d.id));
    expect(result.deleted.every((d) => d.objectsDeleted)).toBe(true);
    expect(await remainingIds(sourceId)).toEqual([points[0]!.id, points[1]!.id]);
    for (const p of points.slice(2)) {
      expect(fs.existsSync(p.data)).toBe(false);
      expect(fs.existsSync(p.manifest)).toBe(false);
    }
    for (const p of points.slice(0, 2)) expect(fs.existsSync(p.data) && fs.existsSync(p.manifest)).toBe(true);

    const events = await db().auditEvent.findMany({
      where: { action: 'recovery-point.delete', targetId: { in: points.map((p) => p.id) } },
    });
    expect(events.map((e) => e.targetId).sort()).toEqual([points[2]!.id, points[3]!.id].sort());
    expect(events[0]).toMatchObject({ actorType: 'system', actorLabel: 'retention' });
    expect(events[0]!.details).toMatchObject({ reason: 'retention: not among the last 2', sha256: expect.any(String), location: expect.any(String) });

    // A second prune has nothing left to do.
    expect((await pruneSource(sourceId)).planned).toBe(0);
  });

  it('never deletes a held point, by prune or by hand, until the hold is released', async () => {
    const { sourceId } = await makeSource({ keepLast: 1 });
    await addPoint(sourceId, 1);
    const held = await addPoint(sourceId, 2);
    await setLegalHold({ actor: approver }, held.id, { hold: true, reason: 'case 42' });

    await pruneSource(sourceId);
    expect(await remainingIds(sourceId)).toContain(held.id);
    await expect(deleteRecoveryPoint({ actor: operator }, held.id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/legal hold/) });
    expect(fs.existsSync(held.data)).toBe(true);

    await setLegalHold({ actor: approver }, held.id, { hold: false, reason: 'case closed' });
    const actions = await db().auditEvent.findMany({ where: { targetId: held.id }, orderBy: { id: 'asc' }, select: { action: true } });
    expect(actions.map((a) => a.action)).toEqual(['recovery-point.hold', 'recovery-point.release']);
    await deleteRecoveryPoint({ actor: operator }, held.id);
    expect(await remainingIds(sourceId)).not.toContain(held.id);
    expect(fs.existsSync(held.data)).toBe(false);
  });

  it('keeps a locked point until the lock date; a lock can be extended, never shortened', async () => {
    const { sourceId } = await makeSource({ keepLast: 1 });
    await addPoint(sourceId, 1);
    const locked = await addPoint(sourceId, 2);
    const until = new Date(Date.now() + 1500);
    await lockRecoveryPoint({ actor: approver }, locked.id, { until: until.toISOString(), reason: 'regulator', confirm: await confirmOf(locked.id) });
    await expect(lockRecoveryPoint({ actor: approver }, locked.id, { until: new Date(Date.now() + 1000).toISOString(), reason: 'oops', confirm: await confirmOf(locked.id) })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/a retention lock can only be extended/),
    });
    await expect(lockRecoveryPoint({ actor: approver }, locked.id, { until: '2000-01-01T00:00:00Z', reason: 'past', confirm: await confirmOf(locked.id) })).rejects.toMatchObject({ code: 'VALIDATION' });
    // Re-locking at the same date is allowed (not a shortening).
    await lockRecoveryPoint({ actor: approver }, locked.id, { until: until.toISOString(), reason: 'same date', confirm: await confirmOf(locked.id) });

    await pruneSource(sourceId);
    expect(await remainingIds(sourceId)).toContain(locked.id);
    await expect(deleteRecoveryPoint({ actor: operator }, locked.id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/locked until/) });
    // A "now" past the lock only changes the plan: the deletion itself checks the real clock and refuses.
    const early = await pruneSource(sourceId, new Date(until.getTime() + 1000));
    expect(early.refused).toEqual([{ id: locked.id, code: 'INVALID_STATE', message: expect.stringMatching(/locked until/) }]);

    await new Promise((r) => setTimeout(r, until.getTime() - Date.now() + 50));
    const result = await pruneSource(sourceId);
    expect(result.deleted.map((d) => d.id)).toEqual([locked.id]);
    expect(fs.existsSync(locked.data)).toBe(false);
    expect(await db().auditEvent.count({ where: { action: 'recovery-point.lock', targetId: locked.id } })).toBe(2);
  });

  // Issue 9: nobody can undo a lock, so it needs the source's name typed again and cannot reach past
  // LIFEBOAT_MAX_LOCK_YEARS (10 by default): a typo must not bind a point for centuries.
  it('refuses a lock without the source name typed again, or beyond LIFEBOAT_MAX_LOCK_YEARS, naming the field', async () => {
    const { sourceId } = await makeSource({ keepLast: 5 });
    const point = await addPoint(sourceId, 1);
    const name = await confirmOf(point.id);
    const inYears = (y: number, extraMs = 0) => {
      const d = new Date();
      d.setUTCFullYear(d.getUTCFullYear() + y);
      return new Date(d.getTime() + extraMs).toISOString();
    };
    const issuesOf = (e: unknown) => (e as { details?: { issues?: Array<{ path: string[] }> } }).details?.issues?.map((i) => i.path.join('.'));
    const refused = (body: Record<string, unknown>) => lockRecoveryPoint({ actor: approver }, point.id, body).then(() => 'locked', (e: unknown) => e);

    const missing = await refused({ until: inYears(1), reason: 'r' });
    expect(missing).toMatchObject({ name: 'ZodError' });
    expect((missing as { issues: Array<{ path: string[] }> }).issues.map((i) => i.path.join('.'))).toEqual(['confirm']);
    const wrong = await refused({ until: inYears(1), reason: 'r', confirm: name.toUpperCase() });
    expect(wrong).toMatchObject({ code: 'VALIDATION', message: `confirm must be the source's name "${name}"` });
    expect(issuesOf(wrong)).toEqual(['confirm']);
    const tooLong = await refused({ until: inYears(10, 60_000), reason: 'r', confirm: name });
    expect(tooLong).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/more than 10 years ahead \(LIFEBOAT_MAX_LOCK_YEARS\)/) });
    expect(issuesOf(tooLong)).toEqual(['until']);
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: point.id } })).lockedUntil).toBeNull();

    // Right at the cap, with the name: locked.
    const until = inYears(10, -60_000);
    expect(await lockRecoveryPoint({ actor: approver }, point.id, { until, reason: 'archive', confirm: name })).toMatchObject({ lockedUntil: until });
  });

  it('keeps the newest verified point even when keepLast 1 and a newer unverified point exist', async () => {
    const { sourceId } = await makeSource({ keepLast: 1 });
    const newest = await addPoint(sourceId, 1);
    const verified = await addPoint(sourceId, 2, { verified: true });
    const olderVerified = await addPoint(sourceId, 3, { verified: true });

    const result = await pruneSource(sourceId);
    expect(result.deleted.map((d) => d.id)).toEqual([olderVerified.id]);
    expect(await remainingIds(sourceId)).toEqual([newest.id, verified.id]);
    await expect(deleteRecoveryPoint({ actor: operator }, verified.id)).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/newest verified/),
    });
  });

  it('detaches finished runs that read a deleted point, and refuses while a restore is still reading it', async () => {
    const { sourceId } = await makeSource({ keepLast: 1 });
    await addPoint(sourceId, 1);
    const old = await addPoint(sourceId, 2);
    const restore = await db().run.create({
      data: { kind: 'RESTORE', status: 'RUNNING', sourceId, destinationId, inputPointId: old.id, params: { targetDatabase: 'restored' } },
    });

    const refused = await pruneSource(sourceId);
    expect(refused.refused).toEqual([{ id: old.id, code: 'INVALID_STATE', message: expect.stringMatching(/being read by restore run/) }]);

    await db().run.update({ where: { id: restore.id }, data: { status: 'SUCCEEDED', finishedAt: new Date() } });
    const result = await pruneSource(sourceId);
    expect(result.deleted.map((d) => d.id)).toEqual([old.id]);
    const after = await db().run.findUniqueOrThrow({ where: { id: restore.id } });
    expect(after.inputPointId).toBeNull();
    expect(after.params).toEqual({ targetDatabase: 'restored' });
  });
});

describe('retention: permissions', () => {
  it('lets viewers read the plan and nothing else; holds and locks are an approver duty', async () => {
    const { sourceId, policyId } = await makeSource({ keepLast: 1 });
    const point = await addPoint(sourceId, 1);
    await expect(planSourcePruning({ actor: viewer }, sourceId)).resolves.toMatchObject({ sourceId });
    const forbidden = { code: 'FORBIDDEN' };
    await expect(setPolicyRetention({ actor: viewer }, policyId, { keepLast: 3 })).rejects.toMatchObject(forbidden);
    await expect(deleteRecoveryPoint({ actor: viewer }, point.id)).rejects.toMatchObject(forbidden);
    await expect(requestPrune({ actor: viewer }, sourceId)).rejects.toMatchObject(forbidden);
    await expect(setLegalHold({ actor: viewer }, point.id, { hold: true, reason: 'x' })).rejects.toMatchObject(forbidden);
    await expect(lockRecoveryPoint({ actor: viewer }, point.id, { until: '2100-01-01T00:00:00Z', reason: 'x' })).rejects.toMatchObject(forbidden);
    await expect(setLegalHold({ actor: operator }, point.id, { hold: true, reason: 'x' })).rejects.toMatchObject(forbidden);
    await expect(setPolicyRetention({ actor: approver }, policyId, { keepLast: 3 })).rejects.toMatchObject(forbidden);
    await expect(planSourcePruning({ actor: null }, sourceId)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await remainingIds(sourceId)).toEqual([point.id]);
  });
});

describe('retention: prune job', () => {
  it('handles retention.prune payloads and refuses malformed ones', async () => {
    const { sourceId } = await makeSource({ keepLast: 1 });
    const keep = await addPoint(sourceId, 1);
    await addPoint(sourceId, 2);
    const result = await handlePruneJob({ sourceId });
    expect(result.deleted).toHaveLength(1);
    expect(await remainingIds(sourceId)).toEqual([keep.id]);
    await expect(handlePruneJob({ runId: sourceId })).rejects.toThrow();
  });

  it('enqueues one job per source with retention per interval, however often the sweep runs', async () => {
    const withRules = await makeSource({ keepLast: 1 });
    const withoutRules = await makeSource();
    // No keep rule, but tiers: the prune has storage class moves to make.
    const tiersOnly = await makeSource({ tiers: [{ afterDays: 30, storageClass: 'STANDARD_IA' }] });
    const now = new Date();
    const first = await enqueueDuePrunes(3600, now);
    const second = await enqueueDuePrunes(3600, now);
    expect(first).toContain(withRules.sourceId);
    expect(first).toContain(tiersOnly.sourceId);
    expect(first).not.toContain(withoutRules.sourceId);
    // Other test files create sources in the shared catalog meanwhile: the second sweep re-lists what the first did
    // (same ids, same order for this test's sources), and may list a newcomer besides.
    expect(second).toEqual(expect.arrayContaining(first));
    const mine = (ids: string[]) => ids.filter((id) => id === withRules.sourceId || id === tiersOnly.sourceId);
    expect(mine(second)).toEqual(mine(first));
    expect(await requestPrune({ actor: operator }, withRules.sourceId)).toEqual({ sourceId: withRules.sourceId, queued: true });

    const connection = redisConnection('producer');
    const queue = new Queue(RUNS_QUEUE, { connection, prefix: process.env.LIFEBOAT_QUEUE_PREFIX });
    try {
      const jobs = (await queue.getJobs(['waiting'])).filter((j) => j.data.sourceId === withRules.sourceId);
      // One from the two sweeps (same interval bucket, same job id) plus the "prune now".
      expect(jobs).toHaveLength(2);
      expect(jobs.every((j) => j.name === 'retention.prune')).toBe(true);
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
