import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { RUNS_QUEUE } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { createPolicy } from '@/server/policies';
import { listRecoveryPoints, protectionStatus } from '@/server/recovery-points';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { driverForDestination } from '@/server/storage/for-destination';
import { runArtifactKeys } from '@/server/storage/layout';
import { startFaultProxy, type FaultProxy } from '@/server/storage/testing/fault-proxy';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { uniqueName } from '@/server/testing/pg';
import { enqueueDuePrunes } from '@/workers/maintenance/prune-retention';
import { readableObjects } from '@/server/recovery-points/readable-objects';
import { RETENTION_ACTOR } from './ids';
import { planSourcePruning } from './plan-source-pruning';
import { pruneCopy } from './prune-copy';
import { prunePrimary } from './prune-primary';
import { pruneSource } from './prune-source';
import type { RetentionPolicyInput } from './retention-policy';
import { setPolicyCopyRetention } from './set-copy-retention';
import { setLegalHold } from './set-legal-hold';
import { lockRecoveryPoint } from './set-retention-lock';

/** A lock's typed confirmation: the point's source name (set-retention-lock.ts). */
const confirmOf = async (pointId: string) =>
  (await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId }, select: { source: { select: { name: true } } } })).source.name;

// Own queue prefix: prune jobs enqueued here are never taken by another file's worker.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-scoped-retention');

const viewer: Actor = { type: 'system', id: null, label: 'scoped retention test viewer', role: 'VIEWER' };
const operator: Actor = { type: 'system', id: null, label: 'scoped retention test operator', role: 'OPERATOR' };
const approver: Actor = { type: 'system', id: null, label: 'scoped retention test approver', role: 'APPROVER' };
const HOUR_MS = 3_600_000;

/** Three local-disk destinations: the primary, a copy with its own (long) retention, a copy that follows the point. */
const dirs = { primary: '', long: '', mirror: '' };
const dest = { primary: '', long: '', mirror: '', s3: '' };
const names = { long: uniqueName('long-copy'), mirror: uniqueName('mirror') };
const created = { sources: [] as string[], policies: [] as string[] };
let s3: S3rverHarness;
let proxy: FaultProxy;

beforeAll(async () => {
  for (const key of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[key] = fs.mkdtempSync(path.join(os.tmpdir(), `lifeboat-scoped-${key}-`));
  const make = async (name: string, dir: string) => (await db().destination.create({ data: { name, kind: 'local', config: { path: dir } } })).id;
  dest.primary = await make(uniqueName('primary'), dirs.primary);
  dest.long = await make(names.long, dirs.long);
  dest.mirror = await make(names.mirror, dirs.mirror);
  s3 = await startS3rver();
  proxy = await startFaultProxy(s3.connection.endpoint);
  const s3Config = { endpoint: proxy.url, region: s3.connection.region, bucket: s3.bucket, prefix: 'primary', forcePathStyle: true, ...s3.connection.credentials };
  dest.s3 = (await db().destination.create({ data: { name: uniqueName('s3'), kind: 's3', config: s3Config } })).id;
}, 60_000);

afterAll(async () => {
  const sourceId = { in: created.sources };
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { id: { in: created.policies } } });
  await db().destination.deleteMany({ where: { id: { in: Object.values(dest).filter(Boolean) } } });
  await closeProducer();
  await disconnectDb();
  await proxy?.close();
  await s3?.close();
  for (const dir of Object.values(dirs)) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A source whose policy stores on `primary`, keeps `retention` there and copies to `copies` (in order). */
async function makeSource(primary: string, retention: RetentionPolicyInput, copies: Array<{ destinationId: string; retention?: RetentionPolicyInput }>) {
  const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: primary, retention, copies });
  created.policies.push(policy.id);
  const source = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {}, policyId: policy.id } });
  created.sources.push(source.id);
  return { sourceId: source.id, policyId: policy.id, policy };
}

interface StoredPoint {
  id: string;
  keys: ReturnType<typeof runArtifactKeys>;
  /** Absolute path of the data object on a local destination. */
  file: (dir: string) => string;
}

/** A succeeded backup, `hoursAgo` old, with its data and manifest on `primary` and an OK copy on each of `copies`. */
async function addPoint(sourceId: string, hoursAgo: number, primary: string, copies: string[], opts: { verified?: boolean } = {}): Promise<StoredPoint> {
  const createdAt = new Date(Date.now() - hoursAgo * HOUR_MS);
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId: primary, startedAt: createdAt, finishedAt: createdAt, createdAt },
  });
  const keys = runArtifactKeys({ sourceId, runId: run.id, startedAt: createdAt }, 'pgdump');
  const bytes = crypto.randomBytes(64);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  for (const id of [primary, ...copies]) {
    const driver = driverForDestination(await db().destination.findUniqueOrThrow({ where: { id } }));
    await driver.put(keys.data, Readable.from([bytes]));
    await driver.put(keys.manifest, Readable.from([Buffer.from('{}')]));
  }
  const point = await db().recoveryPoint.create({
    data: {
      sourceId,
      runId: run.id,
      destinationId: primary,
      engine: 'postgres',
      location: keys.data,
      sizeBytes: bytes.length,
      sha256,
      manifest: {},
      createdAt,
      verifiedAt: opts.verified ? createdAt : null,
      copies: {
        create: copies.map((destinationId, position) => ({ destinationId, location: keys.data, position, status: 'COPY_OK' as const, sizeBytes: bytes.length, sha256 })),
      },
    },
  });
  return { id: point.id, keys, file: (dir) => path.join(dir, keys.data) };
}

const exists = (file: string) => fs.existsSync(file);
const manifestOf = (file: string) => path.join(path.dirname(file), 'manifest.json');
const auditOf = (action: string, targetId: string) => db().auditEvent.findMany({ where: { action, targetId }, orderBy: { id: 'asc' } });

/** The point as the restore worker loads it, and where it would read from, in order. */
async function restoreLocations(pointId: string) {
  const point = await db().recoveryPoint.findUniqueOrThrow({
    where: { id: pointId },
    include: { destination: true, copies: { where: { status: 'COPY_OK' }, include: { destination: true }, orderBy: { position: 'asc' } } },
  });
  return readableObjects(point).map((c) => ({ label: c.label, destinationId: c.destination.id, location: c.location }));
}

describe('per-destination retention: primary 1 point, long copy 3 points, mirror follows the point', () => {
  let src: Awaited<ReturnType<typeof makeSource>>;
  let points: StoredPoint[];

  beforeAll(async () => {
    src = await makeSource(dest.primary, { keepLast: 1 }, [{ destinationId: dest.long, retention: { keepLast: 3 } }, { destinationId: dest.mirror }]);
    points = [];
    for (const hours of [1, 2, 3, 4]) points.push(await addPoint(src.sourceId, hours, dest.primary, [dest.long, dest.mirror]));
  });

  it('stores the copy retention as parsed, and shows it on the policy', () => {
    expect(src.policy.copies).toEqual([
      { destinationId: dest.long, destinationName: names.long, position: 0, retention: { keepLast: 3, timezone: 'UTC' } },
      { destinationId: dest.mirror, destinationName: names.mirror, position: 1, retention: null },
    ]);
    expect(src.policy.copyDestinationIds).toEqual([dest.long, dest.mirror]);
  });

  it('dry run: per-scope decisions with destination ids and names', async () => {
    const [p0, p1, p2, p3] = points.map((p) => p.id);
    const plan = await planSourcePruning({ actor: viewer }, src.sourceId);
    expect(plan.keep.map((k) => k.id)).toEqual([p0]);
    const long = { destinationId: dest.long, destinationName: names.long };
    expect(plan.delete.map((d) => [d.id, d.outcome, d.keptBy])).toEqual([
      [p1, 'prune-primary', [long]],
      [p2, 'prune-primary', [long]],
      [p3, 'delete-point', []],
    ]);
    expect(plan.copyScopes).toHaveLength(1);
    expect(plan.copyScopes[0]).toMatchObject({ ...long, retention: { keepLast: 3, timezone: 'UTC' } });
    expect(plan.copyScopes[0]!.keep.map((k) => k.id)).toEqual([p0, p1, p2]);
    expect(plan.copyScopes[0]!.delete.map((d) => [d.id, d.outcome])).toEqual([[p3, 'delete-point']]);
    expect(plan.actions.prunePrimaries[0]).toEqual({
      id: p1,
      reason: 'not among the last 1',
      keptBy: [long],
      followers: [{ destinationId: dest.mirror, destinationName: names.mirror }],
    });
    // The dry run changed nothing.
    for (const p of points) expect(exists(p.file(dirs.primary))).toBe(true);
  });

  it('prunes the primary (and the mirror) of points the long copy keeps, and deletes the rest whole', async () => {
    const [p0, p1, p2, p3] = points as [StoredPoint, StoredPoint, StoredPoint, StoredPoint];
    const result = await pruneSource(src.sourceId);
    expect(result.refused).toEqual([]);
    expect(result.planned).toBe(3);
    expect(result.deleted.map((d) => d.id)).toEqual([p3.id]);
    expect(result.primariesPruned).toEqual([
      { id: p1.id, reason: 'not among the last 1', followers: [dest.mirror] },
      { id: p2.id, reason: 'not among the last 1', followers: [dest.mirror] },
    ]);
    expect(result.copiesPruned).toEqual([]);

    // On disk: primary objects (data and manifest) gone, the long copy still there, the mirror gone with the primary.
    for (const p of [p1, p2]) {
      expect(exists(p.file(dirs.primary)) || exists(manifestOf(p.file(dirs.primary)))).toBe(false);
      expect(exists(p.file(dirs.long)) && exists(manifestOf(p.file(dirs.long)))).toBe(true);
      expect(exists(p.file(dirs.mirror))).toBe(false);
    }
    for (const dir of Object.values(dirs)) expect(exists(p3.file(dir))).toBe(false);
    for (const dir of Object.values(dirs)) expect(exists(p0.file(dir))).toBe(true);

    // In the catalog: the point lives on with its long copy only.
    const row = await db().recoveryPoint.findUniqueOrThrow({ where: { id: p1.id }, include: { copies: true } });
    expect(row.primaryDeletedAt).toBeInstanceOf(Date);
    expect(row.copies.map((c) => [c.destinationId, c.status])).toEqual([[dest.long, 'COPY_OK']]);
    expect(await db().recoveryPoint.findUnique({ where: { id: p3.id } })).toBeNull();

    // Audited in the same transactions.
    const [pruned] = await auditOf('recovery-point.primary-pruned', p1.id);
    expect(pruned).toMatchObject({ actorLabel: 'retention' });
    expect(pruned!.details).toMatchObject({ destinationId: dest.primary, location: p1.keys.data, keptBy: [dest.long], reason: 'retention: not among the last 1' });
    const followers = await auditOf('recovery-point.copy-pruned', p1.id);
    expect(followers.map((e) => (e.details as { destinationId: string }).destinationId)).toEqual([dest.mirror]);
    expect(await auditOf('recovery-point.delete', p3.id)).toHaveLength(1);

    // Still restorable: the restore would read the long copy, which is whole on disk.
    const locations = await restoreLocations(p1.id);
    expect(locations).toEqual([{ label: `copy on destination "${names.long}"`, destinationId: dest.long, location: p1.keys.data }]);
    expect(exists(path.join(dirs.long, locations[0]!.location))).toBe(true);
    expect((await restoreLocations(p0.id))[0]).toMatchObject({ destinationId: dest.primary });

    // The list shows it; a second prune has nothing left to do.
    const listed = (await listRecoveryPoints({ actor: viewer }, src.sourceId)).find((p) => p.id === p1.id);
    expect(listed?.primaryDeletedAt).not.toBeNull();
    expect(listed?.storedCopies).toMatchObject({ total: 2, ok: 1, primaryPruned: true });
    expect((await pruneSource(src.sourceId)).planned).toBe(0);
  });

  it('counts only existing objects for 3-2-1-1-0', async () => {
    // Make the pruned point the newest, as if the newer ones had been deleted by hand.
    await db().recoveryPoint.update({ where: { id: points[1]!.id }, data: { createdAt: new Date(Date.now() + HOUR_MS) } });
    try {
      const status = await protectionStatus({ actor: viewer }, src.sourceId);
      expect(status.recoveryPointId).toBe(points[1]!.id);
      expect(status.copies).toBe(2);
      expect(status.storedCopies.map((c) => [c.destinationId, c.status])).toEqual([
        [dest.primary, 'PRUNED'],
        [dest.long, 'OK'],
      ]);
    } finally {
      await db().recoveryPoint.update({ where: { id: points[1]!.id }, data: { createdAt: new Date(Date.now() - 2 * HOUR_MS) } });
    }
  });

  it('a copy-scope prune deletes the copy, and the point with its last copy', async () => {
    const [p0, p1, p2] = points as [StoredPoint, StoredPoint, StoredPoint];
    const set = await setPolicyCopyRetention({ actor: operator }, src.policyId, dest.long, { keepLast: 1 });
    expect(set).toEqual({ policyId: src.policyId, destinationId: dest.long, destinationName: names.long, retention: { keepLast: 1, timezone: 'UTC' } });
    expect(await db().auditEvent.count({ where: { action: 'policy.copy-retention-set', targetId: src.policyId } })).toBe(1);

    const plan = await planSourcePruning({ actor: viewer }, src.sourceId);
    expect(plan.copyScopes[0]!.delete.map((d) => [d.id, d.outcome])).toEqual([
      [p1.id, 'prune-last-copy'],
      [p2.id, 'prune-last-copy'],
    ]);

    const result = await pruneSource(src.sourceId);
    expect(result.refused).toEqual([]);
    expect(result.copiesPruned).toEqual([
      { pointId: p1.id, destinationId: dest.long, reason: 'not among the last 1', pointDeleted: true },
      { pointId: p2.id, destinationId: dest.long, reason: 'not among the last 1', pointDeleted: true },
    ]);
    for (const p of [p1, p2]) {
      expect(exists(p.file(dirs.long)) || exists(manifestOf(p.file(dirs.long)))).toBe(false);
      expect(await db().recoveryPoint.findUnique({ where: { id: p.id } })).toBeNull();
      expect((await auditOf('recovery-point.copy-pruned', p.id)).map((e) => (e.details as { destinationId: string }).destinationId)).toEqual([
        dest.mirror,
        dest.long,
      ]);
      const [deleted] = await auditOf('recovery-point.delete', p.id);
      expect(deleted!.details).toMatchObject({ reason: expect.stringMatching(/^last copy pruned: retention \(destination ".+"\): not among the last 1$/) as unknown });
    }
    for (const dir of Object.values(dirs)) expect(exists(p0.file(dir))).toBe(true);
    expect(await db().recoveryPoint.count({ where: { sourceId: src.sourceId } })).toBe(1);
  });
});

describe('per-destination retention: protections win in every scope', () => {
  it('a hold, a lock or a reader placed after planning refuses the partial prune and leaves the objects', async () => {
    const { sourceId } = await makeSource(dest.primary, { keepLast: 1 }, [{ destinationId: dest.long, retention: { keepLast: 5 } }]);
    await addPoint(sourceId, 1, dest.primary, [dest.long]);
    const old = await addPoint(sourceId, 2, dest.primary, [dest.long]);
    const plan = await planSourcePruning({ actor: viewer }, sourceId);
    expect(plan.actions.prunePrimaries.map((p) => p.id)).toEqual([old.id]);
    const prune = () => prunePrimary({ actor: RETENTION_ACTOR }, old.id, { reason: 'test', keptBy: [dest.long] });

    await setLegalHold({ actor: approver }, old.id, { hold: true, reason: 'case 7' });
    await expect(prune()).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/legal hold/) as unknown });
    await setLegalHold({ actor: approver }, old.id, { hold: false, reason: 'case closed' });

    await lockRecoveryPoint({ actor: approver }, old.id, { until: new Date(Date.now() + HOUR_MS).toISOString(), reason: 'regulator', confirm: await confirmOf(old.id) });
    await expect(prune()).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/locked until/) as unknown });
    await expect(pruneCopy({ actor: RETENTION_ACTOR }, old.id, dest.long, { reason: 'test' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    // A "now" past the lock only changes the plan; the prune itself checks the real clock.
    const early = await pruneSource(sourceId, new Date(Date.now() + 2 * HOUR_MS));
    expect(early.refused).toEqual([{ id: old.id, action: 'prune-primary', code: 'INVALID_STATE', message: expect.stringMatching(/locked until/) as unknown }]);
    await db().recoveryPoint.update({ where: { id: old.id }, data: { lockedUntil: null } });

    const restore = await db().run.create({
      data: { kind: 'RESTORE', status: 'QUEUED', sourceId, destinationId: dest.primary, inputPointId: old.id, params: { target: { database: 'x' } } },
    });
    await expect(prune()).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/being read by restore run/) as unknown });
    await db().run.update({ where: { id: restore.id }, data: { status: 'SUCCEEDED', finishedAt: new Date() } });

    expect(exists(old.file(dirs.primary)) && exists(old.file(dirs.long))).toBe(true);
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: old.id } })).primaryDeletedAt).toBeNull();
    expect(await auditOf('recovery-point.primary-pruned', old.id)).toEqual([]);

    // Nothing in the way any more: the planned prune goes through.
    expect((await pruneSource(sourceId)).primariesPruned.map((p) => p.id)).toEqual([old.id]);
    expect(exists(old.file(dirs.primary))).toBe(false);
  });

  it("keeps each scope's newest verified object, and refuses a copy that has no retention of its own", async () => {
    const { sourceId } = await makeSource(dest.primary, { keepLast: 1 }, [{ destinationId: dest.long, retention: { keepLast: 1 } }, { destinationId: dest.mirror }]);
    await addPoint(sourceId, 1, dest.primary, [dest.long, dest.mirror]);
    const verified = await addPoint(sourceId, 2, dest.primary, [dest.long, dest.mirror], { verified: true });

    const plan = await planSourcePruning({ actor: viewer }, sourceId);
    expect(plan.keep.find((k) => k.id === verified.id)?.reasons).toEqual(['newest verified']);
    expect(plan.copyScopes[0]!.keep.find((k) => k.id === verified.id)?.reasons).toEqual(['newest verified']);
    await expect(pruneCopy({ actor: RETENTION_ACTOR }, verified.id, dest.long, { reason: 'test' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/newest verified backup on destination/) as unknown,
    });
    await expect(prunePrimary({ actor: RETENTION_ACTOR }, verified.id, { reason: 'test', keptBy: [dest.long] })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/newest verified primary object/) as unknown,
    });
    await expect(pruneCopy({ actor: RETENTION_ACTOR }, verified.id, dest.mirror, { reason: 'test' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/no retention of its own/) as unknown,
    });
    for (const dir of Object.values(dirs)) expect(exists(verified.file(dir))).toBe(true);
    expect(await pruneSource(sourceId)).toMatchObject({ planned: 0, refused: [] });
  });
});

describe('per-destination retention: storage failures', () => {
  it('records nothing when the primary cannot be deleted, and the next prune finishes the job', async () => {
    const { sourceId } = await makeSource(dest.s3, { keepLast: 1 }, [{ destinationId: dest.long, retention: { keepWithin: '30d' } }]);
    await addPoint(sourceId, 1, dest.s3, [dest.long]);
    const old = await addPoint(sourceId, 2, dest.s3, [dest.long]);
    const objectPath = `/${s3.bucket}/primary/${old.keys.data}`;
    const head = () => s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `primary/${old.keys.data}` }));
    proxy.failNext(1, 400, ({ method, url }) => method === 'DELETE' && url.split('?')[0] === objectPath);

    const failed = await pruneSource(sourceId);
    expect(failed.primariesPruned).toEqual([]);
    expect(failed.refused).toEqual([{ id: old.id, action: 'prune-primary', code: 'STORAGE', message: expect.any(String) as unknown }]);
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: old.id } })).primaryDeletedAt).toBeNull();
    expect(await auditOf('recovery-point.primary-pruned', old.id)).toEqual([]);
    await expect(head()).resolves.toMatchObject({ ContentLength: 64 });

    const retried = await pruneSource(sourceId);
    expect(retried.primariesPruned.map((p) => p.id)).toEqual([old.id]);
    await expect(head()).rejects.toThrow();
    expect(exists(old.file(dirs.long))).toBe(true);
    expect(await restoreLocations(old.id)).toEqual([{ label: `copy on destination "${names.long}"`, destinationId: dest.long, location: old.keys.data }]);
  });
});

describe('per-destination retention: policy input', () => {
  it('answers 422 naming the copy and the field for bad copy retention, and sets copy retention with an audit event', async () => {
    const bad = await createPolicy({ actor: operator }, {
      name: uniqueName('policy'),
      destinationId: dest.primary,
      copies: [{ destinationId: dest.long, retention: { keepLast: 0, keepWithin: 'forever' } }],
    }).catch((e: unknown) => e);
    const response = errorResponse(bad);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('VALIDATION');
    expect(body.error.message).toContain('copies.0.retention.keepLast: keepLast must be at least 1');
    expect(body.error.message).toContain('copies.0.retention.keepWithin');

    const both = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: dest.primary, copies: [], copyDestinationIds: [] }).catch((e: unknown) => e);
    expect(errorResponse(both).status).toBe(422);

    const { policyId } = await makeSource(dest.primary, { keepLast: 1 }, [{ destinationId: dest.long }]);
    await expect(setPolicyCopyRetention({ actor: operator }, policyId, dest.long, { keepDaily: 0 })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: 'keepDaily: keepDaily must be at least 1 (omit it to disable the rule)',
    });
    await expect(setPolicyCopyRetention({ actor: operator }, policyId, dest.mirror, { keepLast: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(setPolicyCopyRetention({ actor: viewer }, policyId, dest.long, { keepLast: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await setPolicyCopyRetention({ actor: operator }, policyId, dest.long, { keepYearly: 7 });
    await setPolicyCopyRetention({ actor: operator }, policyId, dest.long, null);
    const events = await db().auditEvent.findMany({ where: { action: 'policy.copy-retention-set', targetId: policyId }, orderBy: { id: 'asc' } });
    expect(events.map((e) => (e.details as { retention: unknown }).retention)).toEqual([{ keepYearly: 7, timezone: 'UTC' }, null]);
    expect((await db().policyCopy.findFirstOrThrow({ where: { policyId } })).retention).toBeNull();
  });
});

describe('per-destination retention: the periodic prune', () => {
  it('is enqueued for a source whose only keep rule (or only tiers) is a copy destination’s', async () => {
    const copyOnly = await makeSource(dest.primary, {}, [{ destinationId: dest.long, retention: { keepLast: 2 } }]);
    // No keep rule but tiers: nothing to delete, storage class moves to make.
    const tiersOnly = await makeSource(dest.primary, {}, [{ destinationId: dest.long, retention: { tiers: [{ afterDays: 1, storageClass: 'GLACIER' }] } }]);
    const none = await makeSource(dest.primary, {}, [{ destinationId: dest.long, retention: {} }]);
    const due = await enqueueDuePrunes(3600, new Date());
    expect(due).toContain(copyOnly.sourceId);
    expect(due).toContain(tiersOnly.sourceId);
    expect(due).not.toContain(none.sourceId);

    const connection = redisConnection('producer');
    const queue = new Queue(RUNS_QUEUE, { connection, prefix: process.env.LIFEBOAT_QUEUE_PREFIX });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
});
