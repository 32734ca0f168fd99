/**
 * Redis through a real worker process, as a user sees it: a source created with the API's shape (the password split
 * off and sealed), a backup run, a restore run into a scratch instance whose address the finished run carries in
 * `result`, and the scratch instance stopped with the worker. Failures: a server that is down or refuses the
 * password fails the run with a readable reason, and no recovery point exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { requestRestore } from '@/server/restores/request-restore';
import { getRun } from '@/server/runs/get-run';
import { requestBackup } from '@/server/runs/request-backup';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { createPolicy, operator, waitForRun } from '@/workers/testing/run-fixtures';
import { spawnWorker, type SpawnedWorker } from '@/workers/testing/spawn-worker';

import { connectRedis } from './client';
import { freePort, portInUse } from './scratch';
import { fillDatabase, startTestRedis, type TestRedis } from './testing';

process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-redis');
const FAST = {
  LIFEBOAT_HEARTBEAT_MS: '1000',
  LIFEBOAT_RUN_STALE_SECONDS: '4',
  LIFEBOAT_SWEEP_MS: '1000',
  LIFEBOAT_RUN_RETRY_BACKOFF_MS: '200',
  LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX,
};
const terminal = (r: { status: string }) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status);

let server: TestRedis;
let worker: SpawnedWorker | undefined;
let backupsDir: string;
let policyId: string;

const addSource = (config: Record<string, unknown>, testConnection = false) =>
  createSource({ actor: operator }, { kind: 'redis', name: uniqueName('redis'), config, policyId, testConnection });

beforeAll(async () => {
  server = await startTestRedis();
  await fillDatabase(server.client(0), 100, 'a');
  await fillDatabase(server.client(5), 100, 'b');
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-redis-runs-'));
  policyId = await createPolicy(backupsDir);
  worker = await spawnWorker(FAST);
});

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

describe('worker: Redis', () => {
  it('backs up, restores into a scratch instance whose address the run answers, and stops it with the worker', async () => {
    const source = await addSource({ host: '127.0.0.1', port: server.port, tls: false, password: server.password }, true);
    const row = await db().source.findUniqueOrThrow({ where: { id: source.id } });
    // The password is sealed, never in the clear config.
    expect(row.config).toEqual({ host: '127.0.0.1', port: server.port, tls: false, bgsave: false });
    expect(JSON.stringify(row)).not.toContain(server.password);

    const backup = await requestBackup({ actor: operator }, source.id);
    const done = await waitForRun(backup.id, terminal, 90_000, () => worker?.output() ?? '');
    expect(done.status, done.error ?? '').toBe('SUCCEEDED');
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
    expect(point.engine).toBe('redis');

    const restore = await requestRestore({ actor: operator }, point.id, { target: { mode: 'scratch' } });
    const restored = await waitForRun(restore.id, terminal, 90_000, () => worker?.output() ?? '');
    expect(restored.status, restored.error ?? '').toBe('SUCCEEDED');
    const result = restored.result as { address: string; password: string; expiresAt: string; keys: Record<string, number> };
    expect(result).toMatchObject({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), keys: { db0: 700, db5: 700 } });
    expect(Date.parse(result.expiresAt)).toBeGreaterThan(Date.now());
    // What GET /runs/{id} answers.
    expect((await getRun({ actor: operator }, restore.id)).result).toEqual(result);
    const port = Number(result.address.split(':')[1]);
    const scratch = await connectRedis({ host: '127.0.0.1', port, password: result.password, db: 5 });
    expect(await scratch.hgetall('b:hash:7')).toEqual(await server.client(5).hgetall('b:hash:7'));
    scratch.disconnect();

    // A worker that shuts down leaves no scratch instance behind.
    await worker!.stop();
    await sleep(300);
    expect(await portInUse(port)).toBe(false);
    worker = await spawnWorker(FAST);
  });

  it('refuses a replay target with a password at the request: it would be stored and audited unsealed', async () => {
    const source = await addSource({ host: '127.0.0.1', port: server.port, password: server.password });
    const backup = await requestBackup({ actor: operator }, source.id);
    expect((await waitForRun(backup.id, terminal, 90_000, () => worker?.output() ?? '')).status).toBe('SUCCEEDED');
    const point = await db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
    const runsBefore = await db().run.count({ where: { sourceId: source.id } });
    await expect(
      requestRestore({ actor: operator }, point.id, { target: { mode: 'replay', host: '127.0.0.1', port: 6390, password: 'secret-replay-pw', destructive: false } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('target.password') });
    expect(await db().run.count({ where: { sourceId: source.id } })).toBe(runsBefore);
    expect(JSON.stringify(await db().auditEvent.findMany({ where: { targetId: point.id } }))).not.toContain('secret-replay-pw');
  });

  it('fails the backup of a server that is down with a readable reason, and makes no recovery point', async () => {
    const port = await freePort();
    const source = await addSource({ host: '127.0.0.1', port, password: 'whatever' });
    const run = await requestBackup({ actor: operator }, source.id);
    const done = await waitForRun(run.id, terminal, 90_000, () => worker?.output() ?? '');
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain(`cannot reach Redis at 127.0.0.1:${port}`);
    expect(await db().recoveryPoint.count({ where: { sourceId: source.id } })).toBe(0);
  });

  it('fails the backup when the server refuses the password, without retrying or echoing it', async () => {
    const source = await addSource({ host: '127.0.0.1', port: server.port, password: 'wrong-password-123' });
    const run = await requestBackup({ actor: operator }, source.id);
    const done = await waitForRun(run.id, terminal, 90_000, () => worker?.output() ?? '');
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain(`Redis at 127.0.0.1:${server.port} refused the login`);
    expect(done.error).not.toContain('wrong-password-123');
    expect(done.attempt).toBe(1);
    expect(await db().recoveryPoint.count({ where: { sourceId: source.id } })).toBe(0);
    const logs = await db().runLog.findMany({ where: { runId: run.id } });
    expect(logs.map((l) => l.message).join('\n')).not.toContain('wrong-password-123');
  });
});
