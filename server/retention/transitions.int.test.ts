import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { db, disconnectDb } from '@/server/shared/db';
import { driverForDestination } from '@/server/storage/for-destination';
import { runArtifactKeys } from '@/server/storage/layout';
import type { FaultProxy, ProxiedRequest } from '@/server/storage/testing/fault-proxy';
import type { S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { pruneSource } from './prune-source';
import { setPolicyCopyRetention } from './set-copy-retention';
import { setPolicyRetention } from './set-policy-retention';
import { lockRecoveryPoint } from './set-retention-lock';
import { removeMade, sourceWithPolicy, startS3Destinations, type S3Destinations } from './testing/s3-destinations';

/** A lock's typed confirmation: the point's source name (set-retention-lock.ts). */
const confirmOf = async (pointId: string) =>
  (await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId }, select: { source: { select: { name: true } } } })).source.name;

const operator: Actor = { type: 'system', id: null, label: 'transitions test operator', role: 'OPERATOR' };
const approver: Actor = { type: 'system', id: null, label: 'transitions test approver', role: 'APPROVER' };
const DAY_MS = 86_400_000;
const TIERS = [
  { afterDays: 30, storageClass: 'STANDARD_IA' },
  { afterDays: 90, storageClass: 'GLACIER' },
];

let bench: S3Destinations;
let s3: S3rverHarness;
let proxy: FaultProxy;
let localDir: string;
const dest = { primary: '', copy: '', local: '', locking: '' };
const created = { sources: [] as string[], policies: [] as string[] };

beforeAll(async () => {
  bench = await startS3Destinations();
  ({ s3, proxy } = bench);
  localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-transitions-test-'));
  const { make, s3Config } = bench;
  dest.primary = await make('s3', s3Config({ prefix: 'primary' }));
  dest.copy = await make('s3', s3Config({ prefix: 'copy' }));
  dest.local = await make('local', { path: localDir });
  dest.locking = await make('s3', s3Config({ prefix: 'locked', objectLock: { mode: 'GOVERNANCE' } }));
});

afterAll(async () => {
  await removeMade({ ...created, destinations: Object.values(dest) });
  await disconnectDb();
  await bench?.close();
  fs.rmSync(localDir, { recursive: true, force: true });
});

afterEach(() => proxy.reset());

const policyOf = new Map<string, string>();

/** A source on `primary` with the policy's tiers; `copies` are the policy's copy destinations (own retention: none). */
async function makeSource(primary: string, copies: string[] = []) {
  const { sourceId, policyId } = await sourceWithPolicy(created, primary, copies);
  await setPolicyRetention({ actor: operator }, policyId, { keepLast: 10, tiers: TIERS });
  policyOf.set(sourceId, policyId);
  return sourceId;
}

/** A point `daysAgo` old, with its data and manifest stored on `primary` and (as OK copies) on each of `copies`. */
async function addPoint(sourceId: string, daysAgo: number, primary: string, copies: string[] = []) {
  const createdAt = new Date(Date.now() - daysAgo * DAY_MS);
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId: primary, startedAt: createdAt, finishedAt: createdAt, createdAt },
  });
  const keys = runArtifactKeys({ sourceId, runId: run.id, startedAt: createdAt }, 'pgdump');
  const bytes = crypto.randomBytes(64);
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
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      manifest: {},
      createdAt,
      copies: { create: copies.map((destinationId, position) => ({ destinationId, location: keys.data, position, status: 'COPY_OK' as const })) },
    },
  });
  return { id: point.id, keys };
}

const objectPath = (prefix: string, key: string) => `/${s3.bucket}/${prefix}/${key}`;
const copyRequests = (log: readonly ProxiedRequest[]) => log.filter((r) => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined);
const storageClassOf = async (prefix: string, key: string) =>
  (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${key}` }))).StorageClass;

describe('retention: storage class transitions', () => {
  it('moves aged points on every S3 object, records the class, skips local disk, and does not move them twice', async () => {
    const sourceId = await makeSource(dest.primary);
    const fresh = await addPoint(sourceId, 1, dest.primary, [dest.copy]);
    const aged = await addPoint(sourceId, 40, dest.primary, [dest.copy, dest.local]);

    const result = await pruneSource(sourceId);
    expect(result.deleted).toEqual([]);
    expect(result.transitions).toHaveLength(1);
    expect(result.transitions[0]).toMatchObject({ id: aged.id, toStorageClass: 'STANDARD_IA' });
    expect(result.transitions[0]!.objects).toEqual([
      { destinationId: dest.primary, copy: false, outcome: 'moved' },
      { destinationId: dest.copy, copy: true, outcome: 'moved' },
      { destinationId: dest.local, copy: true, outcome: 'skipped' },
    ]);

    // The CopyObject onto itself went out with the class and COPY directive, for the data object only.
    const copies = copyRequests(proxy.log);
    expect(copies.map((r) => r.url.split('?')[0])).toEqual([objectPath('primary', aged.keys.data), objectPath('copy', aged.keys.data)]);
    for (const r of copies) {
      expect(r.headers['x-amz-storage-class']).toBe('STANDARD_IA');
      expect(r.headers['x-amz-metadata-directive']).toBe('COPY');
      expect(r.outcome).toBe('forwarded');
    }
    expect(await storageClassOf('primary', aged.keys.data)).toBe('STANDARD_IA');
    expect(await storageClassOf('copy', aged.keys.data)).toBe('STANDARD_IA');
    expect(await storageClassOf('primary', aged.keys.manifest)).not.toBe('STANDARD_IA');
    expect(await storageClassOf('primary', fresh.keys.data)).not.toBe('STANDARD_IA');

    const row = await db().recoveryPoint.findUniqueOrThrow({ where: { id: aged.id }, include: { copies: true } });
    expect(row.storageClass).toBe('STANDARD_IA');
    expect(Object.fromEntries(row.copies.map((c) => [c.destinationId, c.storageClass]))).toEqual({ [dest.copy]: 'STANDARD_IA', [dest.local]: null });
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: fresh.id } })).storageClass).toBeNull();
    expect(await db().auditEvent.count({ where: { action: 'recovery-point.transition', targetId: aged.id } })).toBe(1);

    proxy.reset();
    const again = await pruneSource(sourceId);
    expect(again.transitions).toEqual([]);
    expect(copyRequests(proxy.log)).toEqual([]);
  });

  it('moves a copy with its own retention by its own tiers; copies without follow the primary', async () => {
    const sourceId = await makeSource(dest.primary, [dest.copy, dest.local]);
    await setPolicyCopyRetention({ actor: operator }, policyOf.get(sourceId), dest.copy, { tiers: [{ afterDays: 30, storageClass: 'GLACIER' }] });
    const aged = await addPoint(sourceId, 40, dest.primary, [dest.copy, dest.local]);

    const result = await pruneSource(sourceId);
    expect(result.planned).toBe(0);
    expect(result.transitions.map((t) => [t.destinationId, t.toStorageClass, t.objects])).toEqual([
      [null, 'STANDARD_IA', [{ destinationId: dest.primary, copy: false, outcome: 'moved' }, { destinationId: dest.local, copy: true, outcome: 'skipped' }]],
      [dest.copy, 'GLACIER', [{ destinationId: dest.copy, copy: true, outcome: 'moved' }]],
    ]);
    expect(await storageClassOf('primary', aged.keys.data)).toBe('STANDARD_IA');
    expect(await storageClassOf('copy', aged.keys.data)).toBe('GLACIER');
    const row = await db().recoveryPoint.findUniqueOrThrow({ where: { id: aged.id }, include: { copies: true } });
    expect(row.storageClass).toBe('STANDARD_IA');
    expect(Object.fromEntries(row.copies.map((c) => [c.destinationId, c.storageClass]))).toEqual({ [dest.copy]: 'GLACIER', [dest.local]: null });
    const audits = await db().auditEvent.findMany({ where: { action: 'recovery-point.transition', targetId: aged.id }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => (a.details as { scope: string }).scope)).toEqual(['primary', dest.copy]);

    // Each object was planned from its own recorded class: nothing moves twice.
    proxy.reset();
    expect((await pruneSource(sourceId)).transitions).toEqual([]);
    expect(copyRequests(proxy.log)).toEqual([]);
  });

  it('reports a failed move without failing the prune or deleting anything', async () => {
    const sourceId = await makeSource(dest.primary);
    const old = await addPoint(sourceId, 100, dest.primary);
    proxy.failNext(1, 400, ({ method, url }) => method === 'PUT' && url.split('?')[0] === objectPath('primary', old.keys.data));

    const result = await pruneSource(sourceId);
    expect(result.transitions).toHaveLength(1);
    const [object] = result.transitions[0]!.objects;
    expect(object).toMatchObject({ destinationId: dest.primary, outcome: 'failed' });
    expect(object?.error).toMatch(/HTTP 400/);
    expect(copyRequests(proxy.log).map((r) => r.outcome)).toEqual(['failed']);

    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: old.id } })).storageClass).toBeNull();
    expect(await storageClassOf('primary', old.keys.data)).not.toBe('GLACIER');
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'recovery-point.transition', targetId: old.id } });
    expect(audit.details).toMatchObject({ toStorageClass: 'GLACIER', objects: [{ outcome: 'failed' }] });

    // The next prune tries again, and this time the move goes through.
    const retry = await pruneSource(sourceId);
    expect(retry.transitions[0]!.objects).toEqual([{ destinationId: dest.primary, copy: false, outcome: 'moved' }]);
    expect(await storageClassOf('primary', old.keys.data)).toBe('GLACIER');
  });
});

describe('retention locks: S3 Object Lock', () => {
  const retentionRequests = (log: readonly ProxiedRequest[]) => log.filter((r) => r.method === 'PUT' && /[?&]retention(=|&|$)/.test(r.url));
  const retainUntil = (r: ProxiedRequest) => new Date(/<RetainUntilDate>([^<]+)<\/RetainUntilDate>/.exec(r.body)?.[1] ?? 'invalid');

  it('sends PutObjectRetention for the objects on object-lock destinations and reports what the backend refused', async () => {
    const sourceId = await makeSource(dest.locking);
    const point = await addPoint(sourceId, 1, dest.locking, [dest.copy]);
    const until = new Date(Math.ceil((Date.now() + 400 * DAY_MS) / 1000) * 1000);

    // s3rver implements no object lock: the request reaches it and is refused, like a bucket without Object Lock.
    const result = await lockRecoveryPoint({ actor: approver }, point.id, { until: until.toISOString(), reason: 'regulator', confirm: await confirmOf(point.id) });
    expect(result.lockedUntil).toBe(until.toISOString());
    expect(result.objectLocks).toEqual([{ destinationId: dest.locking, ok: false, error: expect.stringMatching(/HTTP 4\d\d|HTTP 5\d\d/) as unknown }]);

    const sent = retentionRequests(proxy.log);
    // Data object first; the failure stops that destination before the manifest. The copy has no objectLock: nothing.
    expect(sent.map((r) => r.url.split('?')[0])).toEqual([objectPath('locked', point.keys.data)]);
    expect(sent[0]!.body).toContain('<Mode>GOVERNANCE</Mode>');
    expect(retainUntil(sent[0]!).getTime()).toBe(until.getTime());

    // The catalog lock stands, and the failure is in the audit trail.
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: point.id } })).lockedUntil?.getTime()).toBe(until.getTime());
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'recovery-point.object-lock', targetId: point.id } });
    expect(audit.details).toMatchObject({ until: until.toISOString(), results: [{ destinationId: dest.locking, ok: false }] });
  });

  it('reports a 501 from the backend as ok: false without failing the catalog lock', async () => {
    const sourceId = await makeSource(dest.locking);
    const point = await addPoint(sourceId, 1, dest.locking);
    const until = new Date(Math.ceil((Date.now() + 30 * DAY_MS) / 1000) * 1000);
    proxy.failNext(10, 501, ({ method, url }) => method === 'PUT' && url.includes('retention'));

    const refused = await lockRecoveryPoint({ actor: approver }, point.id, { until: until.toISOString(), reason: 'audit', confirm: await confirmOf(point.id) });
    expect(refused.objectLocks).toEqual([{ destinationId: dest.locking, ok: false, error: expect.stringContaining('HTTP 501') as unknown }]);
    expect(retentionRequests(proxy.log).map((r) => r.outcome)).toEqual(['failed']);
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: point.id } })).lockedUntil?.getTime()).toBe(until.getTime());
  });
});
