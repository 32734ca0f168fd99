import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { verifyAuditChain } from '@/server/audit/verify-audit-chain';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { openIdentity } from '@/server/keys/open-identity';
import { requestVerify } from '@/server/recovery-points';
import { requestBackup } from '@/server/runs/request-backup';
import { db, disconnectDb } from '@/server/shared/db';
import { SAMPLE_SCHEMA_SQL, connectionParts, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from '../testing/spawn-worker';

// Each test file gets its own queue so only this file's worker takes its jobs.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-verify');
const WORKER_ENV = { LIFEBOAT_HEARTBEAT_MS: '1000', LIFEBOAT_RUN_STALE_SECONDS: '4', LIFEBOAT_SWEEP_MS: '1000', LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX };

const operator: Actor = { type: 'system', id: null, label: 'verify test', role: 'OPERATOR' };
const viewer: Actor = { type: 'system', id: null, label: 'verify test viewer', role: 'VIEWER' };
const sourceDb = uniqueName('lbt_verify');
let backupsDir: string;
let worker: SpawnedWorker | undefined;
/** One recovery point per test, made in parallel up front: corrupting one must not affect the others. */
let points: { id: string; location: string; sha256: string; rawSha256: string | null; rawBytes: bigint | null }[] = [];

const terminal = (r: { status: string }) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status);

async function waitForRun(runId: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
    if (terminal(run)) return run;
    if (Date.now() > until) throw new Error(`run ${runId} stuck in ${run.status}/${run.phase}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function verify(pointId: string) {
  const run = await requestVerify({ actor: operator }, pointId);
  expect(run.status).toBe('QUEUED');
  expect(run.kind).toBe('VERIFY');
  const finished = await waitForRun(run.id);
  const point = await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId } });
  return { run: finished, point };
}

function storedFile(i: number): string {
  return path.join(backupsDir, points[i]!.location);
}

/** The point's age identity in a 0600 file, as an operator would hold it from the recovery kit. */
async function identityFile(keyId: string): Promise<string> {
  const file = path.join(backupsDir, `identity-${keyId}.txt`);
  fs.writeFileSync(file, `${await openIdentity(keyId)}\n`, { mode: 0o600 });
  return file;
}

async function expectFailureRecorded(pointId: string, runId: string, error: string) {
  const point = await db().recoveryPoint.findUniqueOrThrow({ where: { id: pointId } });
  expect(point.verifiedAt).toBeNull();
  expect(point.verifyError).toBe(error);
  const audit = await db().auditEvent.findFirst({ where: { action: 'recovery-point.verify-failed', targetId: pointId }, orderBy: { id: 'desc' } });
  expect(audit?.details).toMatchObject({ runId, error });
}

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-verify-test-'));
  const dest = await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } });
  const policy = await db().policy.create({ data: { name: uniqueName('policy'), destinationId: dest.id } });
  const [spawned] = await Promise.all([spawnWorker(WORKER_ENV), createDatabase(sourceDb, SAMPLE_SCHEMA_SQL)]);
  worker = spawned;
  const pgc = connectionParts();
  const source = await createSource({ actor: operator }, {
    kind: 'postgres',
    name: uniqueName('src'),
    config: { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    policyId: policy.id,
    testConnection: false,
  });
  const backups = await Promise.all(Array.from({ length: 5 }, () => requestBackup({ actor: operator }, source.id)));
  for (const b of backups) {
    const run = await waitForRun(b.id);
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
  }
  points = await Promise.all(backups.map((b) => db().recoveryPoint.findUniqueOrThrow({ where: { runId: b.id } })));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await dropDatabase(sourceDb);
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('verify: recovery points', () => {
  it('verifies a fresh backup: checksum, decode and pg_restore --list; marks the point verified', async () => {
    const before = Date.now();
    const { run, point } = await verify(points[0]!.id);
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
    expect(run.inputPointId).toBe(points[0]!.id);
    expect(point.verifiedAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(point.verifyError).toBeNull();
    // The backup took the direct path (no raw hash); verification decoded everything and recorded it, and the
    // recorded value is the decoded archive's real sha256.
    expect(points[0]!.rawSha256).toBeNull();
    expect(point.rawSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(point.rawBytes).toBe(points[0]!.rawBytes);
    const decoded = execFileSync('bash', ['-o', 'pipefail', '-c', `age -d -i "$K" "$F" | zstd -d | sha256sum`], {
      env: { ...process.env, K: await identityFile(point.keyId!), F: storedFile(0) },
    });
    expect(decoded.toString().split(' ')[0]).toBe(point.rawSha256);
    const logs = (await db().runLog.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
    expect(logs).toMatch(/checksum verified/);
    expect(logs).toMatch(/recorded the raw stream's sha256/);
    expect(logs).toMatch(/TOC entries/);
    const actions = (await db().auditEvent.findMany({ where: { targetId: run.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['verify.request', 'run.finish']);
  });

  it('fails a point with one flipped byte, naming the checksum, and clears an earlier verification', async () => {
    const first = await verify(points[1]!.id);
    expect(first.run.status, first.run.error ?? '').toBe('SUCCEEDED');
    expect(first.point.verifiedAt).not.toBeNull();

    const file = storedFile(1);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, bytes);

    const { run } = await verify(points[1]!.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/checksum verification failed: the stored object has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    await expectFailureRecorded(points[1]!.id, run.id, run.error!);
    const actions = (await db().auditEvent.findMany({ where: { targetId: run.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['verify.request', 'run.finish']);
  });

  it('fails a truncated point', async () => {
    const file = storedFile(2);
    const size = fs.statSync(file).size;
    fs.chmodSync(file, 0o600);
    fs.truncateSync(file, Math.floor(size / 2));
    const { run } = await verify(points[2]!.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/checksum verification failed: the stored object is \d+ bytes, expected \d+/);
    await expectFailureRecorded(points[2]!.id, run.id, run.error!);
  });

  it('fails a point whose stored object is missing', async () => {
    fs.rmSync(storedFile(3));
    const { run } = await verify(points[3]!.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/stored object .* is missing from destination/);
    await expectFailureRecorded(points[3]!.id, run.id, run.error!);
  });

  it('fails a point whose key was shredded', async () => {
    // A shredded key of this test's own, so the shared active key stays readable for other test files.
    const key = await db().encryptionKey.create({
      data: {
        name: uniqueName('shredded-key'),
        recipient: `age1test${crypto.randomBytes(16).toString('hex')}`,
        sealedIdentity: null,
        retiredAt: new Date(),
        shreddedAt: new Date(),
      },
    });
    await db().recoveryPoint.update({ where: { id: points[4]!.id }, data: { keyId: key.id } });
    const { run } = await verify(points[4]!.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(new RegExp(`key ${key.name} was shredded`));
    await expectFailureRecorded(points[4]!.id, run.id, run.error!);
  });

  it('needs backup:run, and a point that exists', async () => {
    await expect(requestVerify({ actor: viewer }, points[0]!.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(requestVerify({ actor: operator }, crypto.randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(requestVerify({ actor: operator }, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The chain itself; the anchor half depends on what other test files left on shared destination folders.
    expect((await verifyAuditChain()).firstBad).toBeNull();
  });
});
