import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { db, disconnectDb } from '@/server/shared/db';
import { driverForDestination } from '@/server/storage/for-destination';
import type { FaultProxy } from '@/server/storage/testing/fault-proxy';
import type { S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { deleteRecoveryPoint } from './delete-recovery-point';
import { planSourcePruning } from './plan-source-pruning';
import { pruneSource } from './prune-source';
import { setPolicyCopyRetention } from './set-copy-retention';
import { setPolicyRetention } from './set-policy-retention';
import { lockRecoveryPoint } from './set-retention-lock';
import { storeMultiObjectPoint, type FixtureObject } from './testing/multi-object-point';
import { removeMade, sourceWithPolicy, startS3Destinations, type S3Destinations } from './testing/s3-destinations';

/**
 * Issue 10: a recovery point holding several objects (one dump per database plus the globals). Whatever deletes,
 * prunes, moves or locks a point's stored bytes does so for EVERY object, on every destination, and leaves no orphan.
 */

const operator: Actor = { type: 'system', id: null, label: 'multi-object retention test operator', role: 'OPERATOR' };
const approver: Actor = { type: 'system', id: null, label: 'multi-object retention test approver', role: 'APPROVER' };
const DAY_MS = 86_400_000;

const OBJECTS: FixtureObject[] = [
  { role: 'db.orders', ext: 'pgdump', raw: crypto.randomBytes(300) },
  { role: 'db.billing', ext: 'pgdump', raw: crypto.randomBytes(200) },
  { role: 'globals', ext: 'sql', raw: Buffer.from('CREATE ROLE app;\n') },
];

let bench: S3Destinations;
let s3: S3rverHarness;
let proxy: FaultProxy;
let lockStub: RetentionStub;
const dirs = { primary: '', mirror: '' };
const dest = { primary: '', mirror: '', s3: '', s3Tiered: '', locking: '' };
const created = { sources: [] as string[], policies: [] as string[] };

beforeAll(async () => {
  bench = await startS3Destinations();
  ({ s3, proxy } = bench);
  lockStub = await startRetentionStub(s3.connection.endpoint);
  for (const key of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[key] = fs.mkdtempSync(path.join(os.tmpdir(), `lifeboat-multi-object-${key}-`));
  const { make, s3Config } = bench;
  dest.primary = await make('local', { path: dirs.primary });
  dest.mirror = await make('local', { path: dirs.mirror });
  dest.s3 = await make('s3', s3Config({ prefix: 'mo-copy' }));
  dest.s3Tiered = await make('s3', s3Config({ prefix: 'mo-tiered' }));
  dest.locking = await make('s3', s3Config({ prefix: 'mo-locked', objectLock: { mode: 'GOVERNANCE' } }, lockStub.url));
});

afterAll(async () => {
  await removeMade({ ...created, destinations: Object.values(dest) });
  await disconnectDb();
  await lockStub?.close();
  await bench?.close();
  for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => proxy.reset());

/** A source whose policy stores on `primary` and copies to `copies` (in that order). */
const makeSource = (primary: string, copies: string[] = []) => sourceWithPolicy(created, primary, copies);

/** What an orphan sweep would find: every key of the source on a destination. */
async function listed(destinationId: string, sourceId: string): Promise<string[]> {
  const driver = driverForDestination(await db().destination.findUniqueOrThrow({ where: { id: destinationId } }));
  return driver.list(`sources/${sourceId}/`);
}

const keysOf = (p: { objects: Array<{ key: string }>; manifest: string }) => [...p.objects.map((o) => o.key), p.manifest].sort();

describe('retention: points with several objects', () => {
  it('deleting a point removes all three objects and the manifest from the primary and every copy', async () => {
    const { sourceId } = await makeSource(dest.primary, [dest.s3, dest.mirror]);
    const point = await storeMultiObjectPoint({
      sourceId,
      primary: dest.primary,
      objects: OBJECTS,
      // A failed copy may have left objects behind too: they go as well.
      copies: [{ destinationId: dest.s3 }, { destinationId: dest.mirror, status: 'COPY_FAILED' }],
    });
    for (const d of [dest.primary, dest.s3, dest.mirror]) expect(await listed(d, sourceId)).toEqual(keysOf(point));

    const deleted = await deleteRecoveryPoint({ actor: operator }, point.id);
    expect(deleted.objectsDeleted).toBe(true);
    for (const d of [dest.primary, dest.s3, dest.mirror]) expect(await listed(d, sourceId)).toEqual([]);
    expect(await db().recoveryPointObject.count({ where: { recoveryPointId: point.id } })).toBe(0);
  });

  it('pruning deletes every object of the pruned point and keeps every object of the kept one', async () => {
    const { sourceId, policyId } = await makeSource(dest.primary, [dest.s3]);
    await setPolicyRetention({ actor: operator }, policyId, { keepLast: 1 });
    const older = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies: [{ destinationId: dest.s3 }], createdAt: new Date(Date.now() - 2 * DAY_MS) });
    const newer = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies: [{ destinationId: dest.s3 }], createdAt: new Date(Date.now() - DAY_MS) });

    // The dry run says what the prune frees: every object's stored bytes, not only the first one's.
    const plan = await planSourcePruning({ actor: operator }, sourceId);
    expect(plan.delete).toEqual([expect.objectContaining({ id: older.id, outcome: 'delete-point', sizeBytes: older.objects.reduce((n, o) => n + o.stored.length, 0) })]);

    const result = await pruneSource(sourceId);
    // Other test files' workers run the recurring prune over the shared catalog: one of them may prune this source
    // first. Either way the older point and every one of its objects are gone, and nothing else is.
    for (const d of result.deleted) expect(d).toEqual(expect.objectContaining({ id: older.id, objectsDeleted: true }));
    expect(await db().recoveryPoint.count({ where: { id: older.id } })).toBe(0);
    expect(await db().recoveryPoint.count({ where: { id: newer.id } })).toBe(1);
    expect(await listed(dest.primary, sourceId)).toEqual(keysOf(newer));
    expect(await listed(dest.s3, sourceId)).toEqual(keysOf(newer));
  });

  it('a primary prune removes every primary object (and a follower copy\'s); the copy prune then removes every copy object', async () => {
    // The S3 copy has its own retention (keeps the point); the mirror follows the primary.
    const { sourceId, policyId } = await makeSource(dest.primary, [dest.s3, dest.mirror]);
    await setPolicyRetention({ actor: operator }, policyId, { keepLast: 1 });
    await setPolicyCopyRetention({ actor: operator }, policyId, dest.s3, { keepLast: 5 });
    const copies = [{ destinationId: dest.s3 }, { destinationId: dest.mirror }];
    const older = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies, createdAt: new Date(Date.now() - 2 * DAY_MS) });
    const newer = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies, createdAt: new Date(Date.now() - DAY_MS) });

    const first = await pruneSource(sourceId);
    expect(first.refused).toEqual([]);
    expect(first.primariesPruned).toEqual([expect.objectContaining({ id: older.id, followers: [dest.mirror] })]);
    expect(await listed(dest.primary, sourceId)).toEqual(keysOf(newer));
    expect(await listed(dest.mirror, sourceId)).toEqual(keysOf(newer));
    expect(await listed(dest.s3, sourceId)).toEqual([...keysOf(older), ...keysOf(newer)].sort());

    // Now the copy's own retention keeps one as well: the older point's last copy goes, and the point with it.
    await setPolicyCopyRetention({ actor: operator }, policyId, dest.s3, { keepLast: 1 });
    const second = await pruneSource(sourceId);
    expect(second.refused).toEqual([]);
    expect(second.copiesPruned).toEqual([expect.objectContaining({ pointId: older.id, destinationId: dest.s3, pointDeleted: true })]);
    expect(await listed(dest.s3, sourceId)).toEqual(keysOf(newer));
    expect(await db().recoveryPoint.count({ where: { id: older.id } })).toBe(0);
  });

  it('a tier move moves all three objects on the primary and on the copy that follows it, never the manifest', async () => {
    const { sourceId, policyId } = await makeSource(dest.s3Tiered, [dest.s3]);
    await setPolicyRetention({ actor: operator }, policyId, { keepLast: 10, tiers: [{ afterDays: 30, storageClass: 'STANDARD_IA' }] });
    const aged = await storeMultiObjectPoint({ sourceId, primary: dest.s3Tiered, objects: OBJECTS, copies: [{ destinationId: dest.s3 }], createdAt: new Date(Date.now() - 40 * DAY_MS) });

    const result = await pruneSource(sourceId);
    expect(result.transitions.map((t) => [t.id, t.toStorageClass, t.objects])).toEqual([
      [
        aged.id,
        'STANDARD_IA',
        [
          { destinationId: dest.s3Tiered, copy: false, outcome: 'moved', objects: 3 },
          { destinationId: dest.s3, copy: true, outcome: 'moved', objects: 3 },
        ],
      ],
    ]);
    for (const prefix of ['mo-tiered', 'mo-copy']) {
      for (const o of aged.objects) expect(await storageClassOf(prefix, o.key)).toBe('STANDARD_IA');
      expect(await storageClassOf(prefix, aged.manifest)).not.toBe('STANDARD_IA');
    }
    const moves = proxy.log.filter((r) => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined);
    expect(moves).toHaveLength(6);
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: aged.id }, include: { copies: true } })).copies[0]!.storageClass).toBe('STANDARD_IA');
  });

  it('a tier move that fails on one object is reported naming it, records nothing, and the next prune finishes it', async () => {
    const { sourceId, policyId } = await makeSource(dest.s3Tiered);
    await setPolicyRetention({ actor: operator }, policyId, { keepLast: 10, tiers: [{ afterDays: 30, storageClass: 'GLACIER' }] });
    const aged = await storeMultiObjectPoint({ sourceId, primary: dest.s3Tiered, objects: OBJECTS, createdAt: new Date(Date.now() - 40 * DAY_MS) });
    const second = `/${s3.bucket}/mo-tiered/${aged.objects[1]!.key}`;
    proxy.failNext(1, 400, ({ method, url }) => method === 'PUT' && url.split('?')[0] === second);

    const result = await pruneSource(sourceId);
    const [outcome] = result.transitions[0]!.objects;
    expect(outcome).toMatchObject({ destinationId: dest.s3Tiered, outcome: 'failed' });
    expect(outcome!.error).toMatch(/^object "db\.billing" \(db\.billing\.pgdump\): .*HTTP 400/);
    // The other two still moved; the point is not recorded as moved, so the next prune tries the destination again.
    expect(await storageClassOf('mo-tiered', aged.objects[0]!.key)).toBe('GLACIER');
    expect(await storageClassOf('mo-tiered', aged.objects[1]!.key)).not.toBe('GLACIER');
    expect(await storageClassOf('mo-tiered', aged.objects[2]!.key)).toBe('GLACIER');
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: aged.id } })).storageClass).toBeNull();

    const retry = await pruneSource(sourceId);
    expect(retry.transitions[0]!.objects).toEqual([{ destinationId: dest.s3Tiered, copy: false, outcome: 'moved', objects: 3 }]);
    for (const o of aged.objects) expect(await storageClassOf('mo-tiered', o.key)).toBe('GLACIER');
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: aged.id } })).storageClass).toBe('GLACIER');
  });

  it('a retention lock sets S3 Object Lock on all three objects and the manifest', async () => {
    const { sourceId } = await makeSource(dest.locking, [dest.s3]);
    const point = await storeMultiObjectPoint({ sourceId, primary: dest.locking, objects: OBJECTS, copies: [{ destinationId: dest.s3 }] });
    const until = new Date(Math.ceil((Date.now() + 30 * DAY_MS) / 1000) * 1000);
    lockStub.requests.length = 0;
    const source = await db().source.findUniqueOrThrow({ where: { id: sourceId } });

    const result = await lockRecoveryPoint({ actor: approver }, point.id, { until: until.toISOString(), reason: 'regulator', confirm: source.name });
    expect(result.objectLocks).toEqual([{ destinationId: dest.locking, ok: true }]);
    // Every key the point occupies on the object-lock destination, each locked until the catalog's date; the copy's
    // destination has no objectLock, so nothing there.
    expect(lockStub.requests.map((r) => r.key).sort()).toEqual(keysOf(point).map((k) => `mo-locked/${k}`).sort());
    for (const r of lockStub.requests) {
      expect(r.body).toContain('<Mode>GOVERNANCE</Mode>');
      expect(new Date(/<RetainUntilDate>([^<]+)<\/RetainUntilDate>/.exec(r.body)?.[1] ?? 'invalid').getTime()).toBe(until.getTime());
    }
  });
});

async function storageClassOf(prefix: string, key: string): Promise<string | undefined> {
  return (await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/${key}` }))).StorageClass;
}

interface RetentionStub {
  url: string;
  requests: Array<{ key: string; body: string }>;
  close(): Promise<void>;
}

/**
 * An S3 endpoint in front of s3rver that accepts PutObjectRetention (s3rver implements no Object Lock; a bucket with
 * Object Lock enabled answers 200) and forwards everything else unchanged, the Host header too, so signatures hold.
 */
async function startRetentionStub(target: string): Promise<RetentionStub> {
  const upstream = new URL(target);
  const requests: RetentionStub['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'PUT' && /[?&]retention(=|&|$)/.test(url)) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const key = decodeURIComponent(url.split('?')[0]!.split('/').slice(2).join('/'));
        requests.push({ key, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      });
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
