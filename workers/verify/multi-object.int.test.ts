import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { closeProducer } from '@/server/jobs/producer';
import { ensureActiveKey } from '@/server/keys/ensure-active-key';
import { getRecoveryPoint, requestVerify } from '@/server/recovery-points';
import { storeMultiObjectPoint, pgDump, type FixtureObject, type FixtureCopy } from '@/server/retention/testing/multi-object-point';
import { db, disconnectDb } from '@/server/shared/db';
import { SAMPLE_SCHEMA_SQL, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from '../testing/spawn-worker';
import { isEngineArtifact } from './run-verify';

/**
 * Issue 10: verification of a point holding several objects (one pg_dump per database plus the globals) checks
 * every object on every place that holds it, decodes each one (pg_restore --list for the dumps, checksums only for
 * globals.sql), and verifies the point only if every object is; a failure names the object.
 */

process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-verify-objects');
const WORKER_ENV = { LIFEBOAT_HEARTBEAT_MS: '1000', LIFEBOAT_RUN_STALE_SECONDS: '4', LIFEBOAT_SWEEP_MS: '1000', LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX };

const operator: Actor = { type: 'system', id: null, label: 'verify objects test', role: 'OPERATOR' };
const databases = [uniqueName('lbt_vo_orders'), uniqueName('lbt_vo_billing')];
const dirs = { primary: '', mirror: '' };
const dest = { primary: '', mirror: '' };
let worker: SpawnedWorker | undefined;
let sourceId: string;
let key: { id: string; recipient: string };
let objects: FixtureObject[];

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  for (const k of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[k] = fs.mkdtempSync(path.join(os.tmpdir(), `lifeboat-verify-objects-${k}-`));
  const [spawned] = await Promise.all([spawnWorker(WORKER_ENV), ...databases.map((d) => createDatabase(d, SAMPLE_SCHEMA_SQL))]);
  worker = spawned;
  dest.primary = (await db().destination.create({ data: { name: uniqueName('primary'), kind: 'local', config: { path: dirs.primary } } })).id;
  dest.mirror = (await db().destination.create({ data: { name: uniqueName('mirror'), kind: 'local', config: { path: dirs.mirror } } })).id;
  sourceId = (await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {} } })).id;
  key = await ensureActiveKey();
  objects = [
    { role: 'db.orders', ext: 'pgdump', raw: pgDump(databases[0]!) },
    { role: 'db.billing', ext: 'pgdump', raw: pgDump(databases[1]!) },
    { role: 'globals', ext: 'sql', raw: Buffer.from('CREATE ROLE app_reader NOLOGIN;\nCREATE ROLE app_writer NOLOGIN;\n') },
  ];
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  for (const d of databases) await dropDatabase(d);
  // Verify runs read the points: detach them first (a run's input point is a restricting reference).
  await db().run.updateMany({ where: { inputPoint: { sourceId } }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await closeProducer();
  await disconnectDb();
  for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
});

async function waitForRun(runId: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
    if (Date.now() > until) throw new Error(`run ${runId} stuck in ${run.status}/${run.phase}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function verify(pointId: string) {
  const run = await waitForRun((await requestVerify({ actor: operator }, pointId)).id);
  const logs = (await db().runLog.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } })).map((l) => `${l.level} ${l.message}`).join('\n');
  const point = await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId }, include: { objects: { orderBy: { position: 'asc' } } } });
  return { run, logs, point };
}

const storePoint = (copies: FixtureCopy[] = [], over: { objects?: FixtureObject[] } = {}) =>
  storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: over.objects ?? objects, codec: 'zstd+age', keyId: key.id, recipient: key.recipient, copies });

function flipByte(file: string) {
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, bytes);
}

describe('verify: points with several objects', () => {
  it('checks and decodes all three objects: pg_restore --list for each dump, checksums for globals.sql; records each raw sha256', async () => {
    const stored = await storePoint();
    const { run, logs, point } = await verify(stored.id);
    expect(run.status, `${run.error ?? ''}\n${logs}`).toBe('SUCCEEDED');
    expect(point.verifiedAt).not.toBeNull();
    expect(point.verifyError).toBeNull();
    for (const o of stored.objects) expect(logs).toContain(`checking size and sha256 of ${o.key}`);
    expect(logs).toMatch(/decoding object "db\.orders" \(db\.orders\.pgdump\.zst\.age\) \(zstd\+age\) .* checking the archive's structure/);
    expect(logs).toMatch(/decoding object "db\.billing" .* checking the archive's structure/);
    expect(logs).toMatch(/decoding object "globals" .* checking its checksums \(not an archive the engine checks\)/);
    expect(logs.match(/TOC entries/g)).toHaveLength(2);
    // The decoded streams were hashed: each object row now holds its raw sha256, the point's columns the first one's.
    expect(point.objects.map((o) => o.rawSha256)).toEqual(objects.map((o) => sha256(o.raw)));
    expect(point.rawSha256).toBe(sha256(objects[0]!.raw));
    const finish = await db().auditEvent.findFirstOrThrow({ where: { action: 'run.finish', targetId: run.id } });
    expect(finish.details).toMatchObject({ objects: ['db.orders', 'db.billing', 'globals'] });
  }, 60_000);

  it('fails the point when its third object is damaged, naming it; the fault is recorded', async () => {
    const stored = await storePoint();
    flipByte(path.join(dirs.primary, stored.objects[2]!.key));
    const { run, point } = await verify(stored.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/^object "globals" \(globals\.sql\.zst\.age\): checksum verification failed: the stored object has sha256 [0-9a-f]{64}, expected/);
    expect(point).toMatchObject({ verifiedAt: null, verifyError: run.error, verifyFault: 'SHA256_MISMATCH' });
    const dto = await getRecoveryPoint({ actor: operator }, stored.id);
    expect(dto.verifyError).toMatch(/object "globals"/);
  }, 60_000);

  it('fails the point when its second object is missing, naming it', async () => {
    const stored = await storePoint();
    fs.rmSync(path.join(dirs.primary, stored.objects[1]!.key));
    const { run, point } = await verify(stored.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/^object "db\.billing" \(db\.billing\.pgdump\.zst\.age\): the stored object .* is missing from destination/);
    expect(point.verifyFault).toBe('MISSING');
  }, 60_000);

  it('an object damaged on the primary but intact on a copy: restorable (verified), the primary\'s fault names the object', async () => {
    const stored = await storePoint([{ destinationId: dest.mirror }]);
    flipByte(path.join(dirs.primary, stored.objects[2]!.key));
    const { run, logs, point } = await verify(stored.id);
    expect(run.status, `${run.error ?? ''}\n${logs}`).toBe('SUCCEEDED');
    expect(point.verifiedAt).not.toBeNull();
    expect(point.verifyFault).toBe('SHA256_MISMATCH');
    expect(point.verifyError).toMatch(/^object "globals" \(globals\.sql\.zst\.age\): checksum verification failed/);
    expect(logs).toMatch(/decoding object "globals" .* from copy on destination/);
    expect(logs).toMatch(/decoding object "db\.orders" .* from primary destination/);
    const copy = await db().recoveryPointCopy.findFirstOrThrow({ where: { recoveryPointId: stored.id } });
    expect(copy).toMatchObject({ status: 'COPY_OK', verifyError: null });
    expect(copy.verifiedAt).not.toBeNull();
  }, 60_000);

  it('fails the point when a dump object does not decode to an archive pg_restore accepts, naming it', async () => {
    const stored = await storePoint([], { objects: [objects[0]!, { role: 'db.broken', ext: 'pgdump', raw: crypto.randomBytes(2000) }, objects[2]!] });
    const { run } = await verify(stored.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/^object "db\.broken" \(db\.broken\.pgdump\.zst\.age\) from primary destination .*: /);
  }, 60_000);
});

describe('isEngineArtifact: which objects get the engine\'s structural check', () => {
  const engine = { artifact: { extension: 'pgdump' } };
  const object = (role: string, file: string, codec = 'zstd+age', details: Record<string, unknown> = {}) => ({ role, key: `sources/s/2026/12/02/r/${file}`, codec, details });

  it('is the data object and any object stored as the engine\'s extension, not a globals.sql', () => {
    expect(isEngineArtifact(engine, object('data', 'data.pgdump.zst.age'))).toBe(true);
    expect(isEngineArtifact(engine, object('db.orders', 'db.orders.pgdump.zst.age'))).toBe(true);
    expect(isEngineArtifact(engine, object('db.orders', 'db.orders.pgdump', 'none'))).toBe(true);
    expect(isEngineArtifact(engine, object('globals', 'globals.sql.zst.age'))).toBe(false);
    expect(isEngineArtifact(engine, object('file.x', 'file.x.yaml.zst', 'zstd'))).toBe(false);
    expect(isEngineArtifact(engine, object('globals', 'globals.sql.zst.age', 'zstd+age', { extension: 'pgdump' }))).toBe(true);
  });
});
