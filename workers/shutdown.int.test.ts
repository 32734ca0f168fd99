import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBackup } from '@/server/runs/request-backup';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from './testing/spawn-worker';
import { addSource, createPolicy, incompressibleSql, isTerminal, operator, waitForRun } from './testing/run-fixtures';

// Each test file gets its own queue so only this file's workers take its jobs.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-shutdown');
// Fast failure detection: a beat a second, dead after 4 s without one, swept every second.
// The orphan sweep (re-enqueues queued runs whose job is gone) waits 10 minutes here, so it cannot be what recovers
// the handed-back run.
const FAST = {
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  LIFEBOAT_ORPHAN_QUEUED_SECONDS: '600',
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
};
// A handed-back run must be running again on another worker this soon after SIGTERM: the 1 s grace, the release,
// and a fresh start of the dump by a worker that is idle.
const RECOVERY_BOUND_MS = 30_000;

const workers: SpawnedWorker[] = [];
let backupsDir: string;
let database: string;

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-shutdown-test-'));
  database = uniqueName('lbt_shutdown');
  await createDatabase(database, incompressibleSql(24));
});

afterAll(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  await dropDatabase(database);
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('worker: graceful shutdown', () => {
  it('hands a running backup back at SIGTERM, and another worker finishes it', async () => {
    const source = await addSource(database, await createPolicy(backupsDir));
    // 2 MB/s: the ~24 MB dump takes ~12 s, so SIGTERM lands mid-stream; the 1 s grace then runs out.
    const stopping = await spawnWorker({ ...FAST, LIFEBOAT_FAULT_THROTTLE_BPS: String(2 * 1024 * 1024), LIFEBOAT_SHUTDOWN_GRACE_SECONDS: '1' });
    workers.push(stopping);
    const run = await requestBackup({ actor: operator }, source.id);
    await waitForRun(run.id, (r) => r.status === 'RUNNING' && r.bytesDone > 0n, 60_000, stopping.output);
    // Only now may the other worker exist: it must not have taken the job first.
    const other = await spawnWorker(FAST);
    workers.push(other);

    const sigterm = Date.now();
    const code = await stopping.stop('SIGTERM');
    expect(code, stopping.output()).toBe(0);
    expect(stopping.output()).toContain('grace period over');

    const finished = await waitForRun(run.id, isTerminal, RECOVERY_BOUND_MS, () => `${stopping.output()}\n---\n${other.output()}`);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(Date.now() - sigterm).toBeLessThan(RECOVERY_BOUND_MS);
    expect(finished.workerId).toContain(`:${other.child.pid}:`);
    // The attempt was given back: nothing went wrong with the run itself.
    expect(finished.attempt).toBe(1);
    const logs = (await db().runLog.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } })).map((l) => l.message);
    expect(logs.some((m) => /released by .*worker shutting down/.test(m))).toBe(true);
    expect(await db().recoveryPoint.count({ where: { runId: run.id } })).toBe(1);
  }, 120_000);
});
