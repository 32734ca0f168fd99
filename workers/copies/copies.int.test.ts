import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { createDestination } from '@/server/inventory';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { enqueueCopy } from '@/server/copies/enqueue-copy';
import { markCopiesDamaged } from '@/server/copies/mark-copies-damaged';
import { createPolicy } from '@/server/policies';
import { requestVerify } from '@/server/recovery-points/request-verify';
import { deleteRecoveryPoint } from '@/server/retention/delete-recovery-point';
import { pruneSource } from '@/server/retention/prune-source';
import { getRecoveryPoint, protectionStatus } from '@/server/recovery-points';
import { requestRestore } from '@/server/restores/request-restore';
import { requestBackup } from '@/server/runs/request-backup';
import { db, disconnectDb } from '@/server/shared/db';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { SAMPLE_SCHEMA_SQL, connectionParts, createDatabase, dropDatabase, tableHashes, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from '../testing/spawn-worker';
import { handleCopyJob } from './run-copy';

// Each test file gets its own queue so only this file's worker takes its jobs.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-copies');
const WORKER_ENV = {
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  // Fast copy retries: 300 ms backoff, and the sweep re-enqueues copies idle for 2 s.
  LIFEBOAT_COPY_BACKOFF_MS: '300',
  LIFEBOAT_COPY_RETRY_IDLE_SECONDS: '2',
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
};

const operator: Actor = { type: 'system', id: null, label: 'copies test', role: 'OPERATOR' };
// Destinations are an admin's to create.
const admin: Actor = { type: 'system', id: null, label: 'copies test admin', role: 'ADMIN' };
const sourceDb = uniqueName('lbt_copies');
const databases: string[] = [sourceDb];
let backupsDir: string;
let s3: S3rverHarness;
let worker: SpawnedWorker | undefined;

const terminal = (s: string) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s);

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const waitForRun = (runId: string) =>
  waitFor(`run ${runId}`, () => db().run.findUniqueOrThrow({ where: { id: runId } }), (r) => terminal(r.status));

async function makeSource(policyId: string) {
  const pgc = connectionParts();
  return createSource({ actor: operator }, {
    kind: 'postgres',
    name: uniqueName('src'),
    config: { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    policyId,
    testConnection: false,
  });
}

async function backup(sourceId: string) {
  const run = await requestBackup({ actor: operator }, sourceId);
  const finished = await waitForRun(run.id);
  expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
  return db().recoveryPoint.findUniqueOrThrow({ where: { runId: run.id }, include: { copies: true } });
}

async function s3Bytes(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const chunk of out.Body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function s3Sha256(key: string): Promise<string> {
  return crypto.createHash('sha256').update(await s3Bytes(key)).digest('hex');
}

/** One flipped byte in the middle: same size, only the sha256 can tell. */
function flipped(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  out[Math.floor(out.length / 2)]! ^= 0x01;
  return out;
}

/** Every key under `prefix` in the test bucket (what an orphan sweep would find). */
async function s3Keys(prefix: string): Promise<string[]> {
  const out = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

function s3DestinationConfig(bucket: string) {
  return { endpoint: s3.connection.endpoint, region: s3.connection.region, forcePathStyle: true, bucket, ...s3.connection.credentials };
}

let localDest: { id: string };
let s3Dest: { id: string };

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-copies-test-'));
  const [harness, spawned] = await Promise.all([startS3rver(), spawnWorker(WORKER_ENV), createDatabase(sourceDb, SAMPLE_SCHEMA_SQL)]);
  s3 = harness;
  worker = spawned;
  localDest = await createDestination({ actor: admin }, { name: uniqueName('local'), kind: 'local', config: { path: backupsDir } });
  s3Dest = await createDestination({ actor: admin }, { name: uniqueName('s3'), kind: 's3', config: s3DestinationConfig(s3.bucket), offsite: true, immutable: true });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  for (const name of databases) await dropDatabase(name);
  await s3?.close();
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('copies: 3-2-1-1-0', () => {
  let pointId: string;
  let sourceId: string;

  it('seals S3 credentials: the destination row and its DTO never hold them in clear', async () => {
    const row = await db().destination.findUniqueOrThrow({ where: { id: s3Dest.id } });
    expect(row.secrets).toBeTruthy();
    expect(JSON.stringify(row.config)).not.toContain('S3RVER');
    expect(JSON.stringify(s3Dest)).not.toContain('S3RVER');
    expect(row.offsite && row.immutable).toBe(true);
  });

  it('copies a backup to s3rver: COPY_OK, same sha256 as the primary, audited', async () => {
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id, copyDestinationIds: [s3Dest.id] });
    expect(policy.copyDestinationIds).toEqual([s3Dest.id]);
    const source = await makeSource(policy.id);
    sourceId = source.id;
    const point = await backup(source.id);
    pointId = point.id;
    expect(point.copies).toHaveLength(1);
    const copy = await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: point.copies[0]!.id } }), (c) => c.status !== 'COPY_PENDING');
    expect(copy.status, copy.error ?? '').toBe('COPY_OK');
    expect(copy.sha256).toBe(point.sha256);
    expect(copy.location).toBe(point.location);
    expect(await s3Sha256(point.location)).toBe(point.sha256);
    const primary = crypto.createHash('sha256').update(fs.readFileSync(path.join(backupsDir, point.location))).digest('hex');
    expect(primary).toBe(point.sha256);
    const audit = await db().auditEvent.findFirst({ where: { action: 'copy.finish', targetId: copy.id } });
    expect(audit?.details).toMatchObject({ status: 'COPY_OK', recoveryPointId: point.id });

    const status = await protectionStatus({ actor: operator }, source.id);
    expect(status).toMatchObject({ copies: 3, media: 2, offsite: true, immutable: true, zeroErrors: false });
    expect(status.rule321110).toMatchObject({ three: true, two: true, one: true, oneImmutable: true, zero: false, ok: false });
    expect(status.rule321110.reasons).toEqual(['the newest point has not been verified']);
    await db().recoveryPoint.update({ where: { id: point.id }, data: { verifiedAt: new Date() } });
    expect((await protectionStatus({ actor: operator }, source.id)).rule321110).toMatchObject({ ok: true, reasons: [] });
  });

  it('restores from the copy when the primary object is gone', async () => {
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId } });
    fs.rmSync(path.join(backupsDir, point.location));
    const target = uniqueName('lbt_copies_restored');
    databases.push(target);
    const restore = await requestRestore({ actor: operator }, point.id, { target: { database: target } });
    const finished = await waitForRun(restore.id);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(await tableHashes(target)).toEqual(await tableHashes(sourceDb));
    const logs = (await db().runLog.findMany({ where: { runId: restore.id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/primary destination .* unusable/);
    expect(logs).toMatch(/restoring from copy on destination/);
    expect(sourceId).toBeTruthy();
  });

  it('a failed copy is retried once the destination works again, without a new backup run', async () => {
    const broken = await createDestination({ actor: admin }, {
      name: uniqueName('s3-broken'),
      kind: 's3',
      config: s3DestinationConfig(`missing-${crypto.randomBytes(4).toString('hex')}`),
    });
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id, copyDestinationIds: [broken.id] });
    const source = await makeSource(policy.id);
    const point = await backup(source.id);
    const copyId = point.copies[0]!.id;
    const failed = await waitFor('copy failed', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }), (c) => c.status === 'COPY_FAILED');
    expect(failed.error).toBeTruthy();
    const failAudit = await db().auditEvent.findFirst({ where: { action: 'copy.finish', targetId: copyId } });
    expect(failAudit?.details).toMatchObject({ status: 'COPY_FAILED' });

    // The operator fixes the bucket; a retry (BullMQ backoff or the sweep) finishes the copy.
    const row = await db().destination.findUniqueOrThrow({ where: { id: broken.id } });
    await db().destination.update({ where: { id: broken.id }, data: { config: { ...(row.config as object), bucket: s3.bucket } } });
    const ok = await waitFor('copy retried', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }), (c) => c.status === 'COPY_OK');
    expect(ok.attempts).toBeGreaterThan(1);
    expect(ok.sha256).toBe(point.sha256);
    expect(await db().run.count({ where: { sourceId: source.id } })).toBe(1);
  });

  it('per-destination retention: after the primary is pruned, restore, verify and new copies read an OK copy', async () => {
    // The primary keeps 1 point; the S3 copy keeps 5.
    const policy = await createPolicy({ actor: operator }, {
      name: uniqueName('policy'),
      destinationId: localDest.id,
      retention: { keepLast: 1 },
      copies: [{ destinationId: s3Dest.id, retention: { keepLast: 5 } }],
    });
    const source = await makeSource(policy.id);
    const older = await backup(source.id);
    await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: older.copies[0]!.id } }), (c) => c.status === 'COPY_OK');
    const newer = await backup(source.id);
    await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: newer.copies[0]!.id } }), (c) => c.status === 'COPY_OK');

    const pruned = await pruneSource(source.id);
    expect(pruned.primariesPruned.map((p) => p.id)).toEqual([older.id]);
    expect(fs.existsSync(path.join(backupsDir, older.location))).toBe(false);
    expect(await s3Sha256(older.location)).toBe(older.sha256);

    // Restore: straight to the copy, without trying the pruned primary first.
    const target = uniqueName('lbt_copies_pruned');
    databases.push(target);
    const restore = await requestRestore({ actor: operator }, older.id, { target: { database: target } });
    const finished = await waitForRun(restore.id);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(await tableHashes(target)).toEqual(await tableHashes(sourceDb));
    const logs = (await db().runLog.findMany({ where: { runId: restore.id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/primary object was pruned by retention/);
    expect(logs).toMatch(/restoring from copy on destination/);
    expect(logs).not.toMatch(/primary destination/);

    // Verify: reads the copy.
    const verify = await requestVerify({ actor: operator }, older.id);
    const verified = await waitForRun(verify.id);
    expect(verified.status, verified.error ?? '').toBe('SUCCEEDED');
    expect((await db().recoveryPoint.findUniqueOrThrow({ where: { id: older.id } })).verifiedAt).not.toBeNull();

    // A new copy of the pruned point is made from the OK copy.
    const extraDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-copies-extra-'));
    try {
      const extra = await createDestination({ actor: admin }, { name: uniqueName('local-extra'), kind: 'local', config: { path: extraDir } });
      const copy = await db().recoveryPointCopy.create({ data: { recoveryPointId: older.id, destinationId: extra.id, location: older.location, position: 1 } });
      await enqueueCopy(copy);
      const done = await waitFor('copy from copy', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copy.id } }), (c) => c.status !== 'COPY_PENDING');
      expect(done.status, done.error ?? '').toBe('COPY_OK');
      expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(extraDir, older.location))).digest('hex')).toBe(older.sha256);

      // With nothing left to copy from, the copy fails at once with a clear error (and the sweep leaves it alone).
      const orphan = await db().recoveryPointCopy.create({ data: { recoveryPointId: newer.id, destinationId: extra.id, location: newer.location, position: 1 } });
      await db().recoveryPointCopy.update({ where: { id: newer.copies[0]!.id }, data: { status: 'COPY_FAILED' } });
      await db().recoveryPoint.update({ where: { id: newer.id }, data: { primaryDeletedAt: new Date() } });
      await expect(handleCopyJob({ copyId: orphan.id }, 'test')).rejects.toThrow(/no object left to copy from/);
      const failed = await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: orphan.id } });
      expect(failed).toMatchObject({ status: 'COPY_FAILED', error: expect.stringMatching(/primary was pruned by retention/) as unknown });
    } finally {
      fs.rmSync(extraDir, { recursive: true, force: true });
    }
  });

  it('verify and copy step over a damaged primary to the next OK copy, as restore does (readableObjects)', async () => {
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id, copyDestinationIds: [s3Dest.id] });
    const source = await makeSource(policy.id);
    const point = await backup(source.id);
    await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: point.copies[0]!.id } }), (c) => c.status === 'COPY_OK');
    // One flipped byte in the primary: same size, only the sha256 can tell.
    const file = path.join(backupsDir, point.location);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, bytes);

    const verify = await requestVerify({ actor: operator }, point.id);
    const verified = await waitForRun(verify.id);
    expect(verified.status, verified.error ?? '').toBe('SUCCEEDED');
    const logs = (await db().runLog.findMany({ where: { runId: verify.id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/primary destination .* unusable \(checksum verification failed/);
    expect(logs).toMatch(/decoding \(.*\) from copy on destination/);
    const finish = await db().auditEvent.findFirst({ where: { action: 'run.finish', targetId: verify.id } });
    expect(finish?.details).toMatchObject({ unusable: [expect.stringMatching(/^primary destination .*checksum verification failed/) as unknown] });

    // The damaged primary is recorded on the point, not only logged: the point is restorable (verifiedAt, from the
    // copy) but its primary object failed, and 3-2-1-1-0's "0 errors" says so, naming the destination.
    const localName = (await db().destination.findUniqueOrThrow({ where: { id: localDest.id } })).name;
    const recorded = await getRecoveryPoint({ actor: operator }, point.id);
    expect(recorded.verifiedAt).not.toBeNull();
    expect(recorded.verifyError).toMatch(/checksum verification failed: the stored object has sha256/);
    expect(recorded.storedCopies.extra).toEqual([expect.objectContaining({ status: 'COPY_OK', verifiedAt: expect.any(String) as unknown, verifyError: null })]);
    expect(recorded.damagedObjects).toEqual([
      expect.objectContaining({ role: 'primary', destinationName: localName, fault: 'SHA256_MISMATCH', summary: 'sha256 mismatch' }),
    ]);
    expect(logs).toMatch(/1 of 2 stored objects failed/);
    const status = await protectionStatus({ actor: operator }, source.id);
    expect(status.zeroErrors).toBe(false);
    expect(status.rule321110.zero).toBe(false);
    expect(status.rule321110.reasons).toContainEqual(expect.stringContaining(`primary destination "${localName}": sha256 mismatch at the last verification`));

    const extraDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-copies-fallback-'));
    try {
      const extra = await createDestination({ actor: admin }, { name: uniqueName('local-extra'), kind: 'local', config: { path: extraDir } });
      const copy = await db().recoveryPointCopy.create({ data: { recoveryPointId: point.id, destinationId: extra.id, location: point.location, position: 1 } });
      expect(await handleCopyJob({ copyId: copy.id }, 'test-fallback')).toBe('ok');
      expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(extraDir, point.location))).digest('hex')).toBe(point.sha256);
      const audit = await db().auditEvent.findFirst({ where: { action: 'copy.finish', targetId: copy.id } });
      expect(audit?.details).toMatchObject({ status: 'COPY_OK', readFrom: expect.stringMatching(/^copy on destination/) as unknown });
      expect(JSON.stringify(audit?.details)).toMatch(/primary destination .*sha256/);

      // A missing primary is stepped over the same way.
      fs.rmSync(file);
      await db().recoveryPointCopy.update({ where: { id: copy.id }, data: { status: 'COPY_FAILED' } });
      fs.rmSync(path.join(extraDir, point.location));
      expect(await handleCopyJob({ copyId: copy.id }, 'test-fallback')).toBe('ok');
      expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(extraDir, point.location))).digest('hex')).toBe(point.sha256);
    } finally {
      fs.rmSync(extraDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a damaged copy beside a good primary is re-made: verify marks it COPY_FAILED (audited), the copy job heals it, 0 errors holds again', async () => {
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id, copyDestinationIds: [s3Dest.id] });
    const source = await makeSource(policy.id);
    const point = await backup(source.id);
    const copyId = point.copies[0]!.id;
    await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }), (c) => c.status === 'COPY_OK');
    const good = await s3Bytes(point.location);
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: point.location, Body: flipped(good) }));

    const verify = await requestVerify({ actor: operator }, point.id);
    const verified = await waitForRun(verify.id);
    expect(verified.status, verified.error ?? '').toBe('SUCCEEDED');
    const logs = (await db().runLog.findMany({ where: { runId: verify.id }, orderBy: { id: 'asc' } }))
      .map((l) => `${l.level} ${l.message}`)
      .join('\n');
    expect(logs).toMatch(/warn .*1 of 2 stored objects failed.*copy on destination/);
    expect(logs).toMatch(/re-making the damaged copy on destination/);
    const row = await db().recoveryPoint.findUniqueOrThrow({ where: { id: point.id } });
    expect(row.verifiedAt).not.toBeNull();
    expect(row.verifyError).toBeNull();

    // The verify run's own transaction took the copy out of the readable set and audited why.
    const damaged = await db().auditEvent.findFirst({ where: { action: 'copy.damaged', targetId: copyId } });
    expect(damaged?.details).toMatchObject({
      recoveryPointId: point.id,
      runId: verify.id,
      fault: 'SHA256_MISMATCH',
      error: expect.stringMatching(/^damaged at verification: sha256 mismatch/) as unknown,
    });

    // The copy job enqueued after that commit re-made it from the intact primary, without a sweep or an operator.
    const healed = await waitFor(
      'copy re-made',
      () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }),
      (c) => c.status === 'COPY_OK' && c.verifyError === null,
    );
    expect(healed).toMatchObject({ sha256: point.sha256, error: null, verifiedAt: null, verifyFault: null, attempts: 1 });
    expect(await s3Sha256(point.location)).toBe(point.sha256);
    const remade = await db().auditEvent.findFirst({ where: { action: 'copy.finish', targetId: copyId }, orderBy: { id: 'desc' } });
    expect(remade?.details).toMatchObject({ status: 'COPY_OK', sha256: point.sha256, remade: expect.stringMatching(/^damaged at verification/) as unknown });
    expect(remade!.id > damaged!.id).toBe(true);

    // A second verification finds every object intact, and 3-2-1-1-0's "0 errors" holds again.
    const again = await waitForRun((await requestVerify({ actor: operator }, point.id)).id);
    expect(again.status, again.error ?? '').toBe('SUCCEEDED');
    const rechecked = await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } });
    expect(rechecked).toMatchObject({ status: 'COPY_OK', verifyError: null, verifyFault: null });
    expect(rechecked.verifiedAt).not.toBeNull();
    expect((await getRecoveryPoint({ actor: operator }, point.id)).damagedObjects).toEqual([]);
    expect((await protectionStatus({ actor: operator }, source.id)).rule321110).toMatchObject({ zero: true, ok: true, reasons: [] });

    // A missing copy is re-made the same way.
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: point.location }));
    const third = await waitForRun((await requestVerify({ actor: operator }, point.id)).id);
    expect(third.status, third.error ?? '').toBe('SUCCEEDED');
    const missing = await db().auditEvent.findFirst({ where: { action: 'copy.damaged', targetId: copyId }, orderBy: { id: 'desc' } });
    expect(missing?.details).toMatchObject({ runId: third.id, fault: 'MISSING', error: expect.stringMatching(/^damaged at verification: missing/) as unknown });
    await waitFor('missing copy re-made', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }), (c) => c.status === 'COPY_OK' && c.verifyFault === null);
    expect(await s3Sha256(point.location)).toBe(point.sha256);

    // Nothing intact: the run fails naming every object, the point is no longer verified, each object is recorded.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: point.location, Body: flipped(good) }));
    fs.rmSync(path.join(backupsDir, point.location));
    const failed = await waitForRun((await requestVerify({ actor: operator }, point.id)).id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/no stored object of the recovery point is intact: primary destination .* is missing .*; copy on destination .*checksum verification failed/);
    const lost = await getRecoveryPoint({ actor: operator }, point.id);
    expect(lost).toMatchObject({ verifiedAt: null, verifyError: failed.error });
    expect(lost.damagedObjects.map((d) => [d.role, d.summary])).toEqual([
      ['primary', 'missing'],
      ['copy', 'sha256 mismatch'],
    ]);
    const audit = await db().auditEvent.findFirst({ where: { action: 'recovery-point.verify-failed', targetId: point.id }, orderBy: { id: 'desc' } });
    expect(audit?.details).toMatchObject({ runId: failed.id, error: failed.error });
    // With nothing intact there is nothing to re-make the copy from: it stays as it was, and no re-make is queued.
    expect(await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } })).toMatchObject({ status: 'COPY_OK', verifyFault: 'SHA256_MISMATCH' });
    expect(await db().auditEvent.count({ where: { action: 'copy.damaged', targetId: copyId } })).toBe(2);
  }, 90_000);

  it('a re-armed copy whose re-make enqueue was lost is re-made by the sweep (its job id is not the first making\'s)', async () => {
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id, copyDestinationIds: [s3Dest.id] });
    const source = await makeSource(policy.id);
    const point = await backup(source.id);
    const copyId = point.copies[0]!.id;
    // The first making's job (attempts 0) completes; BullMQ remembers its id for a day.
    await waitFor('copy ok', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }), (c) => c.status === 'COPY_OK');
    // A verification found the copy damaged and re-armed it (attempts back to 0), but its own enqueue was lost (Redis
    // down at that moment): only the sweep can start the re-make now.
    const marked = await db().$transaction((tx) =>
      markCopiesDamaged(tx, operator, {
        pointId: point.id,
        runId: crypto.randomUUID(),
        objects: [
          { role: 'primary', copyId: null, ok: true },
          { role: 'copy', copyId, ok: false, fault: 'SHA256_MISMATCH', error: 'sha256 mismatch (test)' },
        ],
      }),
    );
    expect(marked.map((m) => m.copyId)).toEqual([copyId]);
    expect(await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } })).toMatchObject({ status: 'COPY_FAILED', attempts: 0 });
    // The sweep (every 1 s, for copies idle 2 s) must enqueue a job BullMQ takes: under the first making's id it would
    // be ignored, and the copy would sit COPY_FAILED until Redis forgot that job.
    const healed = await waitFor(
      'copy re-made by the sweep',
      () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } }),
      (c) => c.status === 'COPY_OK',
      20_000,
    );
    expect(healed).toMatchObject({ sha256: point.sha256, attempts: 1, error: null, jobGeneration: 1 });
  }, 60_000);

  describe('deleting a point while a copy of it is being uploaded', () => {
    /** A point and a copy of it to s3rver that the test runs in-process, slowed so the upload lasts ~4 s. */
    async function startSlowCopy() {
      // No copy destination in the policy, so the spawned worker never takes this copy.
      const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id });
      const source = await makeSource(policy.id);
      const point = await backup(source.id);
      const copy = await db().recoveryPointCopy.create({ data: { recoveryPointId: point.id, destinationId: s3Dest.id, location: point.location, position: 0 } });
      // The artifact is one read chunk: the throttle holds it back for ~4 s before it reaches the destination.
      process.env.LIFEBOAT_FAULT_THROTTLE_BPS = String(Math.max(1, Math.floor(Number(point.sizeBytes) / 4)));
      const copying = handleCopyJob({ copyId: copy.id }, 'test-slow-copy').then(
        (outcome) => outcome,
        (err: unknown) => err,
      );
      await waitFor('copy claimed', () => db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copy.id } }), (c) => c.leaseUntil !== null);
      return { point, copyId: copy.id, copying, prefix: `sources/${source.id}/` };
    }

    afterEach(() => {
      delete process.env.LIFEBOAT_FAULT_THROTTLE_BPS;
    });

    it('is refused while the copy holds a live lease (409), naming the destination', async () => {
      const { point, copyId, copying } = await startSlowCopy();
      const dest = await db().destination.findUniqueOrThrow({ where: { id: s3Dest.id } });
      const refusal = deleteRecoveryPoint({ actor: operator }, point.id);
      await expect(refusal).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(refusal).rejects.toThrow(new RegExp(`a copy to destination "${dest.name}" is in progress; try again after it finishes`));
      expect(await db().recoveryPoint.count({ where: { id: point.id } })).toBe(1);
      // The copy itself is unaffected, and once it finished the point may go.
      expect(await copying).toBe('ok');
      expect((await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } })).status).toBe('COPY_OK');
      await expect(deleteRecoveryPoint({ actor: operator }, point.id)).resolves.toMatchObject({ objectsDeleted: true });
    }, 60_000);

    it('when the row vanishes anyway (the lease ran out), the copy deletes what it wrote: no orphan on the destination', async () => {
      const { point, copyId, copying, prefix } = await startSlowCopy();
      // The lease runs out while the upload is still slow; nothing protects the point any more, so it goes.
      await db().recoveryPointCopy.update({ where: { id: copyId }, data: { leaseUntil: new Date(Date.now() - 1000) } });
      const deleted = await deleteRecoveryPoint({ actor: operator }, point.id);
      expect(deleted.objectsDeleted).toBe(true);
      expect(await db().recoveryPointCopy.count({ where: { id: copyId } })).toBe(0);
      // The upload finishes after the delete: its object must not stay behind.
      const outcome = await copying;
      expect(await s3Keys(prefix)).toEqual([]);
      expect(outcome).toBe('discarded');
    }, 60_000);
  });

  it('reports what a local-only setup misses', async () => {
    const policy = await createPolicy({ actor: operator }, { name: uniqueName('policy'), destinationId: localDest.id });
    const source = await makeSource(policy.id);
    await backup(source.id);
    const status = await protectionStatus({ actor: operator }, source.id);
    expect(status).toMatchObject({ copies: 2, media: 1, offsite: false, immutable: false, zeroErrors: false });
    expect(status.rule321110).toMatchObject({ three: false, two: false, one: false, oneImmutable: false, zero: false, ok: false });
    expect(status.rule321110.reasons).toHaveLength(5);
  });
});
