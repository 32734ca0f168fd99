import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { verifyAuditChain } from '@/server/audit/verify-audit-chain';
import { createSource } from '@/server/inventory/create-source';
import { requestBackup } from '@/server/runs/request-backup';
import { requestRestore } from '@/server/restores/request-restore';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import {
  SAMPLE_SCHEMA_SQL,
  connectionParts,
  createDatabase,
  dropDatabase,
  tableHashes,
  uniqueName,
} from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from './testing/spawn-worker';
import { findServerBinDir, startScramCluster } from '@/server/testing/scram-cluster';

// Each test file gets its own queue so only this file's workers take its jobs.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-worker');
// Fast failure detection for the tests: a beat a second, dead after 4 s without one, swept every second; a pg_dump
// that could not reach its server (CONNECTION_FAILED, the one retryable engine error) is retried after 0.5 s, 1 s.
const FAST = {
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  LIFEBOAT_RUN_RETRY_BACKOFF_MS: '500',
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
};

const operator: Actor = { type: 'system', id: null, label: 'worker test', role: 'OPERATOR' };
const databases: string[] = [];
let backupsDir: string;
let policyId: string;
let worker: SpawnedWorker | undefined;

async function waitForRun(runId: string, done: (r: { status: string; bytesDone: bigint }) => boolean, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
    if (done(run)) return run;
    if (Date.now() > until) throw new Error(`run ${runId} stuck in ${run.status}/${run.phase}\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const terminal = (r: { status: string }) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status);
/** The run's end as a user reads it: its status, and its error when it has one. */
async function statusOf(run: { id: string }): Promise<string> {
  const done = await waitForRun(run.id, terminal);
  return done.error ? `${done.status}: ${done.error}` : done.status;
}

async function addSource(database: string) {
  const pgc = connectionParts();
  return createSource({ actor: operator }, {
    kind: 'postgres',
    name: uniqueName('src'),
    config: { host: pgc.host, port: pgc.port, database, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    policyId,
    testConnection: false,
  });
}

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-worker-test-'));
  const dest = await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } });
  const policy = await db().policy.create({ data: { name: uniqueName('policy'), destinationId: dest.id } });
  policyId = policy.id;
  worker = await spawnWorker(FAST);
});

afterAll(async () => {
  await worker?.stop();
  for (const name of databases) await dropDatabase(name);
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('worker: PostgreSQL backup and restore', () => {
  it('backs up a database and restores it into a new one with identical content', async () => {
    const sourceDb = uniqueName('lbt_src');
    const restoredDb = uniqueName('lbt_restored');
    databases.push(sourceDb, restoredDb);
    await createDatabase(sourceDb, SAMPLE_SCHEMA_SQL);
    const source = await addSource(sourceDb);

    const backup = await requestBackup({ actor: operator }, source.id);
    expect(backup.status).toBe('QUEUED');
    const finished = await waitForRun(backup.id, terminal);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');

    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
    expect(Number(point.sizeBytes)).toBeGreaterThan(0);
    const file = path.join(backupsDir, point.location);
    expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(point.sha256);
    expect(fs.existsSync(path.join(path.dirname(file), 'manifest.json'))).toBe(true);

    const restore = await requestRestore({ actor: operator }, point.id, { target: { database: restoredDb } });
    const restored = await waitForRun(restore.id, terminal);
    expect(restored.status, restored.error ?? '').toBe('SUCCEEDED');
    expect(await tableHashes(restoredDb)).toEqual(await tableHashes(sourceDb));

    // Every mutation left its audit event, and the chain still verifies.
    const actions = (
      await db().auditEvent.findMany({ where: { targetId: { in: [source.id, backup.id, restore.id] } }, orderBy: { id: 'asc' } })
    ).map((e) => e.action);
    expect(actions).toEqual(['source.create', 'backup.request', 'run.finish', 'restore.request', 'run.finish']);
    // The chain itself; the anchor half depends on what other test files left on shared destination folders.
    expect((await verifyAuditChain()).firstBad).toBeNull();
  });

  it('fails a backup whose pg_dump fails, with a readable error and no recovery point', async () => {
    const source = await addSource(uniqueName('lbt_missing'));
    const run = await requestBackup({ actor: operator }, source.id);
    const finished = await waitForRun(run.id, terminal);
    expect(finished.status).toBe('FAILED');
    expect(finished.error).toMatch(/does not exist/);
    expect(await db().recoveryPoint.count({ where: { runId: run.id } })).toBe(0);
    const logs = await db().runLog.findMany({ where: { runId: run.id } });
    expect(logs.some((l) => l.level === 'error' && /does not exist/.test(l.message))).toBe(true);
  });

  it('fails a backup with a wrong password at once (no retry: AUTH_FAILED is permanent), readably, never showing the password', async () => {
    const binDir = findServerBinDir();
    // ensure-system installs the server binaries; without them there is no password-checking server to test against.
    if (!binDir) throw new Error('PostgreSQL server binaries (initdb) not found; run scripts/ensure-system.sh');
    const cluster = await startScramCluster(binDir);
    try {
      const source = await createSource({ actor: operator }, {
        kind: 'postgres',
        name: uniqueName('src-wrong-pw'),
        config: { host: cluster.host, port: cluster.port, database: 'postgres', user: cluster.user, password: 'not-the-password' },
        policyId,
        testConnection: false,
      });
      const run = await requestBackup({ actor: operator }, source.id);
      const finished = await waitForRun(run.id, terminal);
      expect(finished.status).toBe('FAILED');
      expect(finished.error).toMatch(/password authentication failed for user "postgres"/);
      expect(finished.error).not.toContain('not-the-password');
      // A retry cannot fix a password: the first attempt is the last, and no run.retry event was written.
      expect(finished.attempt).toBe(1);
      const actions = (await db().auditEvent.findMany({ where: { targetId: run.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
      expect(actions).toEqual(['backup.request', 'run.finish']);
      expect(await db().recoveryPoint.count({ where: { runId: run.id } })).toBe(0);
      const logs = await db().runLog.findMany({ where: { runId: run.id } });
      expect(logs.map((l) => l.message).join('\n')).not.toContain('not-the-password');
    } finally {
      await cluster.stop();
    }
  });

  it('refuses to restore over an existing database', async () => {
    const sourceDb = uniqueName('lbt_src');
    databases.push(sourceDb);
    await createDatabase(sourceDb, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    const source = await addSource(sourceDb);
    const backup = await requestBackup({ actor: operator }, source.id);
    expect(await statusOf(backup)).toBe('SUCCEEDED');
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
    // Refused when requested (defect 9); the engine's own refusal in the worker is in the engine conformance suite.
    await expect(requestRestore({ actor: operator }, point.id, { target: { database: sourceDb } })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/exists/) });
    expect(await db().run.count({ where: { inputPointId: point.id } })).toBe(0);
    expect(await tableHashes(sourceDb)).toEqual({ t: expect.stringMatching(/^1:/) });
  });
});

describe('worker: encryption keys', () => {
  it('encrypts to the active key; after rotation old points stay readable; shredding makes them unreadable', async () => {
    const { rotateKey, shredKey, exportRecoveryKit } = await import('@/server/keys');
    const admin: Actor = { type: 'system', id: null, label: 'key test', role: 'ADMIN' };
    const sourceDb = uniqueName('lbt_keys');
    databases.push(sourceDb);
    await createDatabase(sourceDb, SAMPLE_SCHEMA_SQL);
    const source = await addSource(sourceDb);

    const first = await requestBackup({ actor: operator }, source.id);
    expect(await statusOf(first)).toBe('SUCCEEDED');
    const pointA = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: first.id }, include: { key: true } });
    expect(pointA.codec).toBe('zstd+age');
    expect(pointA.location).toMatch(/data\.pgdump\.zst\.age$/);
    // What is stored is an age file, not a dump.
    expect(fs.readFileSync(path.join(backupsDir, pointA.location)).subarray(0, 21).toString()).toBe('age-encryption.org/v1');

    const rotated = await rotateKey({ actor: admin });
    expect(rotated.recipient).not.toBe(pointA.key!.recipient);
    const second = await requestBackup({ actor: operator }, source.id);
    expect(await statusOf(second)).toBe('SUCCEEDED');
    const pointB = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: second.id } });
    expect(pointB.keyId).toBe(rotated.id);
    expect((pointB.manifest as { encryption: { recipients: string[] } }).encryption.recipients).toEqual([rotated.recipient]);

    // The old point is still readable after rotation.
    const restoredA = uniqueName('lbt_keys_a');
    databases.push(restoredA);
    const restoreA = await requestRestore({ actor: operator }, pointA.id, { target: { database: restoredA } });
    expect(await statusOf(restoreA)).toBe('SUCCEEDED');
    expect(await tableHashes(restoredA)).toEqual(await tableHashes(sourceDb));

    // The kit carries the old identity until it is shredded.
    const kitBefore = await exportRecoveryKit({ actor: admin }, 'FORMAT');
    expect(kitBefore).toContain(pointA.key!.recipient);
    await expect(shredKey({ actor: admin }, pointA.keyId, { confirm: 'wrong' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(shredKey({ actor: admin }, rotated.id, { confirm: rotated.name })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const shredded = await shredKey({ actor: admin }, pointA.keyId, { confirm: pointA.key!.name });
    expect(shredded.readable).toBe(false);
    const kitAfter = await exportRecoveryKit({ actor: admin }, 'FORMAT');
    expect(kitAfter).not.toContain(`${pointA.key!.name}  recipient`);

    const restoredA2 = uniqueName('lbt_keys_a2');
    const again = await requestRestore({ actor: operator }, pointA.id, { target: { database: restoredA2 } });
    const failed = await waitForRun(again.id, terminal);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/shredded/);
    const audit = await db().auditEvent.findFirst({ where: { action: 'key.shred', targetId: pointA.keyId! } });
    expect((audit?.details as { unreadablePoints: string[] }).unreadablePoints).toContain(pointA.id);

    // The newer point, encrypted to the active key, still restores.
    const restoredB = uniqueName('lbt_keys_b');
    databases.push(restoredB);
    const restoreB = await requestRestore({ actor: operator }, pointB.id, { target: { database: restoredB } });
    expect(await statusOf(restoreB)).toBe('SUCCEEDED');
  }, 120_000);

  it('refuses to restore a stored object with a flipped byte, before touching the target', async () => {
    const sourceDb = uniqueName('lbt_flip');
    databases.push(sourceDb);
    await createDatabase(sourceDb, SAMPLE_SCHEMA_SQL);
    const source = await addSource(sourceDb);
    const backup = await requestBackup({ actor: operator }, source.id);
    expect(await statusOf(backup)).toBe('SUCCEEDED');
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
    const file = path.join(backupsDir, point.location);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, bytes);
    const target = uniqueName('lbt_flip_target');
    const restore = await requestRestore({ actor: operator }, point.id, { target: { database: target } });
    const finished = await waitForRun(restore.id, terminal);
    expect(finished.status).toBe('FAILED');
    expect(finished.error).toMatch(/sha256|checksum/i);
    const exists = await db().$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_database WHERE datname = ${target}`;
    expect(Number(exists[0]!.n)).toBe(0);
  });
});

describe('worker: crash recovery', () => {
  let bigDb: string;
  let bigSourceId: string;

  beforeAll(async () => {
    bigDb = uniqueName('lbt_big');
    databases.push(bigDb);
    // ~24 MB of incompressible bytes: long enough to kill a throttled worker mid-stream.
    await createDatabase(
      bigDb,
      `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
       INSERT INTO blobs SELECT g, decode(string_agg(md5(g::text || ':' || i), ''), 'hex')
       FROM generate_series(1, 3000) g, generate_series(1, 500) i GROUP BY g;`,
    );
    bigSourceId = (await addSource(bigDb)).id;
  });

  async function killMidBackup(maxAttempts?: number) {
    await worker?.stop(); // only the slow worker may take the job
    // 2 MB/s: the ~24 MB dump takes ~12 s, so the kill lands mid-stream.
    const slow = await spawnWorker({ ...FAST, LIFEBOAT_FAULT_THROTTLE_BPS: String(2 * 1024 * 1024) });
    const run = await requestBackup({ actor: operator }, bigSourceId);
    if (maxAttempts) await db().run.update({ where: { id: run.id }, data: { maxAttempts } });
    await waitForRun(run.id, (r) => r.status === 'RUNNING' && r.bytesDone > 0n, 60_000);
    await slow.stop('SIGKILL');
    worker = await spawnWorker(FAST);
    return run;
  }

  it('retries a run whose worker was SIGKILLed and records only the complete attempt', async () => {
    const run = await killMidBackup();
    const finished = await waitForRun(run.id, terminal, 120_000);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(finished.attempt).toBe(2);
    const points = await db().recoveryPoint.findMany({ where: { runId: run.id } });
    expect(points).toHaveLength(1);
    const point = points[0]!;
    expect((point.manifest as { run: { attempt: number } }).run.attempt).toBe(2);
    const bytes = fs.readFileSync(path.join(backupsDir, point.location));
    expect(bytes.length).toBe(Number(point.sizeBytes));
    expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(point.sha256);
    const logs = await db().runLog.findMany({ where: { runId: run.id } });
    expect(logs.some((l) => /stopped responding/.test(l.message))).toBe(true);
  }, 180_000);

  it('fails a run whose worker was SIGKILLed with no attempts left, leaving no recovery point', async () => {
    const run = await killMidBackup(1);
    const finished = await waitForRun(run.id, terminal, 60_000);
    expect(finished.status).toBe('FAILED');
    expect(finished.error).toMatch(/stopped responding/);
    expect(await db().recoveryPoint.count({ where: { runId: run.id } })).toBe(0);
  }, 180_000);
});

describe('worker: cancellation', () => {
  it('cancels a running backup and records nothing', async () => {
    const { cancelRun } = await import('@/server/runs/cancel-run');
    const bigDb = uniqueName('lbt_cancel');
    databases.push(bigDb);
    await createDatabase(
      bigDb,
      `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
       INSERT INTO blobs SELECT g, decode(string_agg(md5(g::text || ':' || i), ''), 'hex')
       FROM generate_series(1, 1000) g, generate_series(1, 500) i GROUP BY g;`,
    );
    const source = await addSource(bigDb);
    await worker?.stop();
    const slow = await spawnWorker({ ...FAST, LIFEBOAT_FAULT_THROTTLE_BPS: String(1024 * 1024) });
    try {
      const run = await requestBackup({ actor: operator }, source.id);
      await waitForRun(run.id, (r) => r.status === 'RUNNING', 60_000);
      await cancelRun({ actor: SYSTEM_ACTOR }, run.id);
      const finished = await waitForRun(run.id, terminal, 30_000);
      expect(finished.status).toBe('CANCELLED');
      expect(await db().recoveryPoint.count({ where: { runId: run.id } })).toBe(0);
    } finally {
      await slow.stop();
      worker = await spawnWorker(FAST);
    }
  });
});
