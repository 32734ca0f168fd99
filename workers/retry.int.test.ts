import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBackup } from '@/server/runs/request-backup';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { connectionParts, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from './testing/spawn-worker';
import { addSource, createPolicy, isTerminal, operator, waitForRun } from './testing/run-fixtures';

// Each test file gets its own queue so only this file's worker takes its jobs.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-retry');
// A 3 s backoff (6 s before the third attempt): long enough to bring the "database" back in between, short for a test.
const ENV = { LIFEBOAT_RUN_RETRY_BACKOFF_MS: '3000', LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX };

let worker: SpawnedWorker | undefined;
let backupsDir: string;
let policyId: string;
let database: string;
const servers: net.Server[] = [];

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-retry-test-'));
  policyId = await createPolicy(backupsDir);
  database = uniqueName('lbt_retry');
  await createDatabase(database, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
  worker = await spawnWorker(ENV);
});

afterAll(async () => {
  await worker?.stop();
  for (const s of servers) s.close();
  await dropDatabase(database);
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The database "comes back": a TCP proxy on `port` to the real server. */
async function proxyTo(port: number, target: { host: string; port: number }): Promise<void> {
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

const output = () => worker?.output() ?? '';

describe('worker: retries follow the error class', () => {
  it('retries a backup of an unreachable database after a backoff, and it succeeds once the database is back', async () => {
    const port = await freePort();
    const source = await addSource(database, policyId, port);
    const run = await requestBackup({ actor: operator }, source.id);
    // The first attempt fails to connect (transient), and the run goes back to the queue with its attempt spent.
    const queued = await waitForRun(run.id, (r) => (r.status === 'QUEUED' && r.attempt === 1) || isTerminal(r), 60_000, output);
    expect(queued.status, queued.error ?? '').toBe('QUEUED');
    expect(queued.phase).toBe('retrying');
    await proxyTo(port, connectionParts());

    const finished = await waitForRun(run.id, isTerminal, 60_000, output);
    expect(finished.status, finished.error ?? '').toBe('SUCCEEDED');
    expect(finished.attempt).toBe(2);
    const logs = (await db().runLog.findMany({ where: { runId: run.id }, orderBy: { id: 'asc' } })).map((l) => l.message);
    expect(logs.some((m) => /^attempt 1 of 3 failed: .*retrying in 3 s$/.test(m)), logs.join('\n')).toBe(true);
    const actions = (await db().auditEvent.findMany({ where: { targetId: run.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['backup.request', 'run.retry', 'run.finish']);
  }, 150_000);

  it('does not retry a permanent failure (invalid configuration)', async () => {
    const source = await addSource(database, policyId);
    // A stored config the engine's schema refuses: INVALID_CONFIG, which no retry can cure.
    await db().source.update({ where: { id: source.id }, data: { config: { host: '', port: 'not-a-port' } } });
    const run = await requestBackup({ actor: operator }, source.id);
    const finished = await waitForRun(run.id, isTerminal, 60_000, output);
    expect(finished.status).toBe('FAILED');
    expect(finished.error).toMatch(/port/);
    expect(finished.attempt).toBe(1);
    const actions = (await db().auditEvent.findMany({ where: { targetId: run.id }, orderBy: { id: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['backup.request', 'run.finish']);
  }, 90_000);
});
