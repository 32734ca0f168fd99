/**
 * Redis through a real worker process, as a user sees it: a source created with the API's shape (the password split
 * off and sealed), a backup run, a restore run into a scratch instance whose address the finished run carries in
 * `result`, and the scratch instance stopped with the worker; a replay whose target password was sealed (the worker
 * opens it; the comparison is logged, the password nowhere); "stop instance" (POST /runs/{id}/stop) reaching the
 * worker that runs the instance, 409 when there is nothing to stop, and the worker's sweep finding a stop it missed.
 * Failures: a server that is down or refuses the password fails the run with a readable reason, and no recovery
 * point exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The route handler reads `req.nextUrl`, so the test builds the request Next builds; only tests load next/server.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import * as stopRoute from '@/app/api/v1/runs/[id]/stop/route';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { requestRestore } from '@/server/restores/request-restore';
import { getRun } from '@/server/runs/get-run';
import { requestBackup } from '@/server/runs/request-backup';
import { stopRunInstance } from '@/server/runs/stop-run-instance';
import { closeStopPublisher } from '@/server/runs/stop-channel';
import { redisConnection } from '@/server/shared/redis';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { createPolicy, operator, waitForRun } from '@/workers/testing/run-fixtures';
import { spawnWorker, type SpawnedWorker } from '@/workers/testing/spawn-worker';

import { engineRegistry } from '@/server/engines/registry';
import { startInstanceStopper } from '@/workers/restore/stop-instances';

import { connectRedis } from './client';
import { redisEngine } from './index';
import { freePort, portInUse, stopScratch } from './scratch';
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
let token: string;
let userId: string;

const addSource = (config: Record<string, unknown>, testConnection = false) =>
  createSource({ actor: operator }, { kind: 'redis', name: uniqueName('redis'), config, policyId, testConnection });

beforeAll(async () => {
  server = await startTestRedis();
  await fillDatabase(server.client(0), 100, 'a');
  await fillDatabase(server.client(5), 100, 'b');
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-redis-runs-'));
  policyId = await createPolicy(backupsDir);
  worker = await spawnWorker(FAST);
  const user = await db().user.create({ data: { email: `${uniqueName('redis-runs')}@lifeboat.test`, name: 'redis runs', role: 'OPERATOR', passwordHash: null } });
  userId = user.id;
  token = (await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: uniqueName('tok'), role: 'OPERATOR' })).token;
});

async function backedUp(sourceId: string) {
  const backup = await requestBackup({ actor: operator }, sourceId);
  const done = await waitForRun(backup.id, terminal, 90_000, () => worker?.output() ?? '');
  expect(done.status, done.error ?? '').toBe('SUCCEEDED');
  return db().recoveryPoint.findUniqueOrThrow({ where: { runId: backup.id } });
}

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await db().apiToken.deleteMany({ where: { ownerId: userId } });
  await db().user.delete({ where: { id: userId } }).catch(() => undefined);
  closeStopPublisher();
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

  it('replays into a server whose password was sealed with the request, and logs the comparison, never the password', async () => {
    const source = await addSource({ host: '127.0.0.1', port: server.port, password: server.password });
    const point = await backedUp(source.id);
    const target = await startTestRedis();
    try {
      const restore = await requestRestore({ actor: operator }, point.id, { target: { mode: 'replay', host: '127.0.0.1', port: target.port, password: target.password, destructive: false } });
      const done = await waitForRun(restore.id, terminal, 90_000, () => worker?.output() ?? '');
      expect(done.status, done.error ?? '').toBe('SUCCEEDED');
      expect(done.params).toMatchObject({ mode: 'replay', target: { password: '(sealed)' } });
      expect(await target.client(5).hgetall('b:hash:7')).toEqual(await server.client(5).hgetall('b:hash:7'));
      expect(done.result).toMatchObject({ address: `127.0.0.1:${target.port}`, keys: { db0: 700, db5: 700 }, comparison: { db5: { copied: 700, present: 700, sampled: 100, equal: 100 } } });
      const logs = (await db().runLog.findMany({ where: { runId: restore.id }, orderBy: { id: 'asc' } })).map((l) => l.message).join('\n');
      expect(logs).toContain('compared: db0 700/700 keys there (700 in all), 100/100 sampled values equal');
      const everything = JSON.stringify(
        { logs, run: await getRun({ actor: operator }, restore.id), audit: await db().auditEvent.findMany({ where: { targetId: restore.id } }), worker: worker?.output() ?? '' },
        (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
      );
      expect(everything).not.toContain(target.password);
    } finally {
      await target.stop();
    }
  });

  it('stops a scratch instance early on request, from the worker that runs it, and says so in the run', async () => {
    const source = await addSource({ host: '127.0.0.1', port: server.port, password: server.password });
    const point = await backedUp(source.id);
    const restore = await requestRestore({ actor: operator }, point.id, { target: { mode: 'scratch' } });
    const done = await waitForRun(restore.id, terminal, 90_000, () => worker?.output() ?? '');
    expect(done.status, done.error ?? '').toBe('SUCCEEDED');
    const result = done.result as { address: string; password: string };
    const port = Number(result.address.split(':')[1]);
    expect(await portInUse(port)).toBe(true);

    const stopped = await stopRunInstance({ actor: operator }, restore.id);
    expect(stopped.result).toMatchObject({ address: result.address, stoppedAt: expect.any(String) });
    for (let i = 0; i < 100 && (await portInUse(port)); i += 1) await sleep(100);
    expect(await portInUse(port), worker?.output()).toBe(false);
    const event = await db().auditEvent.findFirstOrThrow({ where: { targetId: restore.id, action: 'run.stop' } });
    expect(event.details).toMatchObject({ address: result.address, workerId: done.workerId });
    expect(JSON.stringify(event.details)).not.toContain(result.password);

    // Nothing left to stop: 409 INVALID_STATE, over HTTP too.
    await expect(stopRunInstance({ actor: operator }, restore.id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('was stopped at') });
    const answer = await stopRoute.POST(new NextRequest(`http://lifeboat.test/api/v1/runs/${restore.id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({ id: restore.id }),
    });
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({ error: { code: 'INVALID_STATE', details: { reason: 'NOTHING_TO_STOP' } } });
    // A backup leaves nothing running.
    const backupRun = await db().run.findUniqueOrThrow({ where: { id: point.runId } });
    await expect(stopRunInstance({ actor: operator }, backupRun.id)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('not a restore') });
    // A viewer may not.
    await expect(stopRunInstance({ actor: { ...operator, role: 'VIEWER' } }, restore.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a stop the worker missed is found by its sweep when its subscriber reconnects', async () => {
    // In this process (its scratch instances are this process's): the stopper with a subscriber of its own.
    const source = await addSource({ host: '127.0.0.1', port: server.port, password: server.password });
    const { stream, done: dumped } = redisEngine.backup({ host: '127.0.0.1', port: server.port }, { password: server.password }, {});
    const [artifact] = await Promise.all([buffer(stream), dumped]);
    const restored = await redisEngine.restore({ host: '127.0.0.1', port: server.port }, {}, Readable.from([artifact]), { mode: 'scratch' }, {});
    const result = restored.result as { address: string; password: string };
    const port = Number(result.address.split(':')[1]);
    const workerId = uniqueName('stopper-test');
    // As if the stop message were lost: the catalog says stopped, nobody published.
    await db().run.create({
      data: {
        kind: 'RESTORE',
        status: 'SUCCEEDED',
        sourceId: source.id,
        workerId,
        finishedAt: new Date(),
        result: { ...result, stoppedAt: new Date().toISOString() },
      },
    });
    const subscriber = redisConnection('subscriber');
    subscriber.on('error', () => undefined);
    const stopSweep = await startInstanceStopper({ workerId, engines: engineRegistry, subscriber });
    try {
      expect(await portInUse(port)).toBe(true);
      // The connection drops and comes back: what was published meanwhile is looked up in the catalog.
      subscriber.disconnect(true);
      for (let i = 0; i < 100 && (await portInUse(port)); i += 1) await sleep(100);
      expect(await portInUse(port)).toBe(false);
    } finally {
      stopSweep();
      subscriber.disconnect();
      await stopScratch(port);
    }
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
