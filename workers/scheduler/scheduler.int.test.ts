import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as runsRoute from '@/app/api/v1/runs/route';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { patternSchedulerId } from '@/server/jobs/contracts';
import { closeProducer, jobSchedulers } from '@/server/jobs/producer';
import { slotsBetween } from '@/server/policies/schedules';
import { listRuns } from '@/server/runs/list-runs';
import { requestBackup } from '@/server/runs/request-backup';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { db, disconnectDb } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { createDatabase, dropDatabase, serverUrl, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from '../testing/spawn-worker';
import { addSource, createPolicy, isTerminal, operator, waitForRun } from '../testing/run-fixtures';
import { fireSlot } from './fire-slot';
import { firePattern } from './fire-pattern';
import { startWaitingSlots } from './waiting-slots';

// Real Redis, BullMQ, PostgreSQL, worker processes and time. The schedules are six-field, second-level crons
// (`*/2 * * * * *`, every 2 s) written straight into the catalog, past the policy verbs' once-a-minute floor, so five
// slots take ten seconds instead of five minutes; the scheduler itself treats them like any cron.
const EVERY_2S = '*/2 * * * * *';
const SCHEDULE_ID = 's-every2s';

// This file's own catalog, a scratch database migrated by the real migrator (set before anything reads the
// environment; the workers inherit it). The scheduler serves every source of the catalog it reads, whatever the
// queue prefix: on the shared catalog the workers other test files run at the same time (their own prefixes) make job
// schedulers for this file's sources and fire their slots, so "every worker stopped" (b) and the lost keys of (c)
// would not stop the slots from starting.
const ROOT = path.resolve(import.meta.dirname, '../..');
const CATALOG = uniqueName('lbt_sched_catalog');
process.env.DATABASE_URL = serverUrl(CATALOG);
// This file's own queue prefix: its workers take only its jobs, and the "FLUSHALL" deletes only its keys.
const PREFIX = uniqueName('lbtest-sched');
process.env.LIFEBOAT_QUEUE_PREFIX = PREFIX;
// Sweep every 500 ms (the default is 10 s), so schedulers heal and slots reconcile within the test's seconds; no
// periodic prune to race the backups; a 200 ms retry backoff, so a backup failing on every attempt spends its three
// attempts in a second; a run whose job the Redis loss of (c) deleted re-enqueued after 3 s, not 30 (until then the
// source's next slots are rightly SKIPPED "overlap": its previous run is still queued).
const WORKER_ENV = {
  LIFEBOAT_QUEUE_PREFIX: PREFIX,
  LIFEBOAT_SWEEP_MS: '500',
  LIFEBOAT_PRUNE_INTERVAL_SECONDS: '0',
  LIFEBOAT_RUN_RETRY_BACKOFF_MS: '200',
  LIFEBOAT_ORPHAN_QUEUED_SECONDS: '3',
};
// The heartbeat tolerance the workers use: two sweeps (workers/scheduler/fire-slot.ts, reconcile-slots.ts).
const TOLERANCE_MS = 1_000;
// How late a fire of the every-2-seconds schedule may be and still start its run: one period (schedule-times.ts).
const GRACE_MS = 2_000;

let workers: SpawnedWorker[] = [];
let backupsDir: string;
const databases: string[] = [];
const output = () => workers.map((w, i) => `--- worker ${i}\n${w.output().slice(-4000)}`).join('\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const startWorkers = async (n: number) => {
  workers = await Promise.all(Array.from({ length: n }, () => spawnWorker(WORKER_ENV)));
};
const stopWorkers = async () => {
  await Promise.all(workers.map((w) => w.stop()));
};

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sched-test-'));
  await createDatabase(CATALOG);
  const migrated = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', 'prisma/migrator/migrate.ts', 'deploy'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } }, (err, _out, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    ),
  );
  expect(migrated.code, migrated.stderr).toBe(0);
  await startWorkers(2);
}, 120_000);

afterAll(async () => {
  await stopWorkers();
  for (const name of databases) await dropDatabase(name).catch(() => undefined);
  await closeProducer();
  await disconnectDb();
  await dropDatabase(CATALOG).catch(() => undefined);
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

/** A tiny database, a source on it, and its policy with one every-2-seconds backup schedule (paused or not). */
async function scheduledSource(tag: string, opts: { paused?: boolean } = {}) {
  const database = uniqueName(`lbt_sched_${tag}`);
  databases.push(database);
  await createDatabase(database, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
  const policyId = await createPolicy(backupsDir);
  const source = await addSource(database, policyId);
  await db().policy.update({
    where: { id: policyId },
    data: { paused: opts.paused ?? false, schedules: [{ id: SCHEDULE_ID, kind: 'backup', backupType: 'full', cron: EVERY_2S, timezone: 'UTC' }] },
  });
  return { database, policyId, sourceId: source.id };
}

/** Takes the schedule off the policy (the sweep removes its job scheduler) and waits for the source's runs to end. */
async function unschedule(policyId: string, sourceId: string) {
  await db().policy.update({ where: { id: policyId }, data: { schedules: [] } });
  await sleep(1_000);
  for (const run of await db().run.findMany({ where: { sourceId, status: { in: ['QUEUED', 'RUNNING'] } } })) {
    await waitForRun(run.id, isTerminal, 60_000, output);
  }
}

const slotsOf = (sourceId: string) => db().scheduledSlot.findMany({ where: { sourceId }, orderBy: { slotAt: 'asc' } });

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${output()}`);
    await sleep(200);
  }
}

const schedule = { cron: EVERY_2S, timezone: 'UTC' };
// Yearly schedules fired in-process with a chosen fire time: the workers' job schedulers never fire them during a test.
const YEARLY = { cron: '0 0 1 1 *', timezone: 'UTC' };
// A slot in the future: the workers' sweeps (real time) never reach its deadline, so only the test moves time past it.
const NEXT_NEW_YEAR = new Date('2027-01-01T00:00:00Z');
const firedAt = (at: Date) => ({ id: `repeat:x:${at.getTime()}`, opts: { prevMillis: at.getTime() } });

/** A loopback port nothing listens on. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('scheduler: BullMQ job schedulers, catalog slots, reconciler, catch-up', () => {
  it('(a) two workers serve an every-2-seconds schedule: exactly one run per slot, for at least 5 slots', async () => {
    const { policyId, sourceId } = await scheduledSource('a');
    await waitFor('5 started slots', async () => (await db().scheduledSlot.count({ where: { sourceId, state: 'STARTED' } })) >= 5, 45_000);
    // One grace (2 s) and a sweep more, so the reconciler has recorded every slot up to the last started one.
    await sleep(3_000);
    await unschedule(policyId, sourceId);

    const slots = await slotsOf(sourceId);
    const started = slots.filter((s) => s.state === 'STARTED');
    const runs = await db().run.findMany({ where: { sourceId, trigger: 'schedule' } });
    expect(started.length).toBeGreaterThanOrEqual(5);
    // One run per started slot and one slot per run: no fire of either worker made a second run.
    expect(runs.length).toBe(started.length);
    expect(new Set(started.map((s) => s.runId)).size).toBe(started.length);
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set(started.map((s) => s.runId)));
    // Every slot is on the schedule's grid and recorded once (the unique key), started or with its reason.
    for (const s of slots) expect(s.slotAt.getTime() % 2_000).toBe(0);
    for (const s of slots.filter((x) => x.state !== 'STARTED')) expect(s.reason, JSON.stringify(s)).toBeTruthy();
    // Between the first and the last recorded slot, every expected slot has its row.
    const expected = slotsBetween(schedule, new Date(slots[0]!.slotAt.getTime() - 1), slots[slots.length - 1]!.slotAt);
    expect(slots.map((s) => s.slotAt.getTime())).toEqual(expected.map((d) => d.getTime()));
    expect(runs.every((r) => r.status === 'SUCCEEDED'), JSON.stringify(runs.map((r) => [r.status, r.error]))).toBe(true);
    // The Failed runs view's filter: scheduled runs are listed by trigger.
    const listed = await listRuns({ actor: operator }, { sourceId, trigger: 'schedule', limit: 200 });
    expect(listed.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(await listRuns({ actor: operator }, { sourceId, trigger: 'schedule', status: 'FAILED' })).toEqual([]);
  }, 90_000);

  it('(d) a paused policy fires nothing: its slots are recorded SKIPPED "policy paused"', async () => {
    const { policyId, sourceId } = await scheduledSource('d', { paused: true });
    await waitFor('3 skipped slots', async () => (await db().scheduledSlot.count({ where: { sourceId, state: 'SKIPPED' } })) >= 3, 30_000);
    // Schedulers are per cron pattern; while (d) runs no other source of this file's catalog uses this one.
    const schedulers = await jobSchedulers().getJobSchedulers(0, -1);
    expect(schedulers.map((s) => s.key)).not.toContain(patternSchedulerId(EVERY_2S, 'UTC'));
    await unschedule(policyId, sourceId);
    const slots = await slotsOf(sourceId);
    expect(slots.every((s) => s.state === 'SKIPPED' && s.reason === SLOT_REASONS.paused), JSON.stringify(slots)).toBe(true);
    expect(await db().run.count({ where: { sourceId } })).toBe(0);
  }, 60_000);

  it('(e) a slot whose previous backup is still running is SKIPPED with the reason "overlap"', async () => {
    const { database, policyId, sourceId } = await scheduledSource('e');
    // The backup is held the way production sees it: a migration's ACCESS EXCLUSIVE lock makes pg_dump wait.
    const locker = new pg.Client({ connectionString: serverUrl(database) });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      await waitFor('2 overlap slots', async () => (await db().scheduledSlot.count({ where: { sourceId, state: 'SKIPPED', reason: SLOT_REASONS.overlap } })) >= 2, 30_000);
      const runs = await db().run.findMany({ where: { sourceId } });
      expect(runs.length).toBe(1);
      expect(['QUEUED', 'RUNNING']).toContain(runs[0]!.status);
      await db().policy.update({ where: { id: policyId }, data: { schedules: [] } });
    } finally {
      await locker.end();
    }
    await unschedule(policyId, sourceId);
    expect(SLOT_REASONS.overlap.startsWith('overlap')).toBe(true);
  }, 60_000);

  it('(c) Redis losing its keys mid-schedule loses no slot: schedulers re-created, the gap recorded MISSED', async () => {
    const { policyId, sourceId } = await scheduledSource('c');
    await waitFor('2 started slots', async () => (await db().scheduledSlot.count({ where: { sourceId, state: 'STARTED' } })) >= 2, 30_000);
    // FLUSHALL, for this file's keys only (the Redis is shared): everything under the prefix, job schedulers included,
    // deleted again and again for 5 s, so the sweep's re-created schedulers are lost too and at least one slot goes
    // unfired.
    const redis = new Redis(env().REDIS_URL);
    const flushedFrom = new Date();
    try {
      while (Date.now() - flushedFrom.getTime() < 5_000) {
        const keys = await redis.keys(`${PREFIX}:*`);
        if (keys.length > 0) await redis.del(...keys);
        await sleep(100);
      }
    } finally {
      redis.disconnect();
    }
    const flushedUntil = new Date();
    // Healed within a sweep: the scheduler is back and slots start again.
    await waitFor('the job scheduler back', async () => (await jobSchedulers().getJobSchedulers(0, -1)).some((s) => s.key === patternSchedulerId(EVERY_2S, 'UTC')), 10_000);
    // 40 s: after its keys vanish a BullMQ worker may sit out one blocking wait (up to 10 s) before it sees the
    // re-created scheduler's delayed job, and CI runs two integration files at once on 2 cores.
    await waitFor('a started slot after the flush', async () => db().scheduledSlot.findFirst({ where: { sourceId, state: 'STARTED', slotAt: { gt: flushedUntil } } }), 40_000);
    // ... and the reconciler has been past the gap (one grace of 2 s after it).
    await sleep(3_000);
    await unschedule(policyId, sourceId);

    const slots = await slotsOf(sourceId);
    const expected = slotsBetween(schedule, new Date(slots[0]!.slotAt.getTime() - 1), slots[slots.length - 1]!.slotAt);
    expect(slots.map((s) => s.slotAt.getTime())).toEqual(expected.map((d) => d.getTime()));
    // The gap is recorded, never silent: a slot whose fire the loss ate is MISSED "not fired"; one that fired while a
    // run whose job the loss deleted was still queued is SKIPPED "overlap" (that run is re-enqueued by the sweep).
    // (The overlap can outlast the flush by a few slots: the lost run waits for the orphan sweep.)
    const gap = slots.filter((s) => s.slotAt > flushedFrom && s.state !== 'STARTED');
    expect(gap.length, JSON.stringify(slots.map((s) => [s.slotAt, s.state, s.reason]))).toBeGreaterThanOrEqual(1);
    for (const s of gap) expect([SLOT_REASONS.notFired, SLOT_REASONS.overlap]).toContain(s.reason);
  }, 90_000);

  it('(f) one slot fired three times at once makes one run; verify picks the newest unverified point; prune runs no run', async () => {
    const { policyId, sourceId } = await scheduledSource('f');
    // Yearly schedules, fired here in-process with a chosen fire time and "now" (the workers' schedulers never fire).
    const yearly = { cron: '0 0 1 1 *', timezone: 'UTC' };
    await db().policy.update({
      where: { id: policyId },
      data: { schedules: [{ id: 'y-backup', kind: 'backup', backupType: 'full', ...yearly }, { id: 'y-verify', kind: 'verify', ...yearly }, { id: 'y-prune', kind: 'prune', ...yearly }] },
    });
    const points = [];
    for (let i = 0; i < 2; i++) {
      const run = await requestBackup({ actor: operator }, sourceId);
      await waitForRun(run.id, (r) => r.status === 'SUCCEEDED', 60_000, output);
      points.push(await db().recoveryPoint.findUniqueOrThrow({ where: { runId: run.id } }));
    }
    await db().recoveryPoint.update({ where: { id: points[1]!.id }, data: { verifiedAt: new Date() } });
    const slotAt = new Date('2026-01-01T00:00:00Z');
    const job = { id: `repeat:x:${slotAt.getTime()}`, opts: { prevMillis: slotAt.getTime() } };
    const now = new Date(slotAt.getTime() + 1_000);
    const fire = (scheduleId: string) => fireSlot({ sourceId, scheduleId }, job, { sweepMs: 500 }, now);

    const verify = await fire('y-verify');
    expect(verify.outcome).toBe('started');
    const verifyRun = await db().run.findUniqueOrThrow({ where: { id: (verify as { runId: string }).runId } });
    expect([verifyRun.kind, verifyRun.trigger, verifyRun.inputPointId]).toEqual(['VERIFY', 'schedule', points[0]!.id]);
    await waitForRun(verifyRun.id, isTerminal, 60_000, output);

    const outcomes = await Promise.all([fire('y-backup'), fire('y-backup'), fire('y-backup')]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'started']);
    expect(await db().run.count({ where: { sourceId, trigger: 'schedule', kind: 'BACKUP' } })).toBe(1);

    const prune = await fire('y-prune');
    expect(prune).toMatchObject({ outcome: 'started', runId: null });
    const slots = await db().scheduledSlot.findMany({ where: { sourceId, slotAt } });
    expect(slots.map((x) => [x.scheduleId, x.state]).sort()).toEqual([['y-backup', 'STARTED'], ['y-prune', 'STARTED'], ['y-verify', 'STARTED']]);
    // A fire long after its slot starts nothing: MISSED, late (a worker was alive, by the heartbeats, or not).
    const late = await fireSlot({ sourceId, scheduleId: 'y-backup' }, { opts: { prevMillis: Date.parse('2025-01-01T00:00:00Z') } }, { sweepMs: 500 });
    expect(late.outcome).toBe('missed');
    await unschedule(policyId, sourceId);
  }, 90_000);

  it('(i) one job scheduler per cron pattern and zone: its fire records the slot of every schedule using it, once', async () => {
    const database = uniqueName('lbt_sched_g');
    databases.push(database);
    await createDatabase(database, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    // Two policies share the yearly UTC pattern (a backup schedule, a prune schedule); a third schedule has the same
    // cron in another zone. Fired in-process with a chosen time: the workers' schedulers never fire these in a test.
    const yearly = { cron: '0 0 1 1 *', timezone: 'UTC' };
    const berlin = { cron: '0 0 1 1 *', timezone: 'Europe/Berlin' };
    const [p1, p2] = [await createPolicy(backupsDir), await createPolicy(backupsDir)];
    await db().policy.update({ where: { id: p1 }, data: { schedules: [{ id: 'g-backup', kind: 'backup', backupType: 'full', ...yearly }] } });
    await db().policy.update({
      where: { id: p2 },
      data: { schedules: [{ id: 'g-prune', kind: 'prune', ...yearly }, { id: 'g-berlin', kind: 'backup', backupType: 'full', ...berlin }] },
    });
    const [a, b, c] = [await addSource(database, p1), await addSource(database, p1), await addSource(database, p2)];
    // The sync (every sweep) makes one scheduler per pattern, none per source.
    const keys = await waitFor(
      'the two pattern schedulers',
      async () => {
        const have = (await jobSchedulers().getJobSchedulers(0, -1)).map((s) => s.key);
        return have.includes(patternSchedulerId(yearly.cron, yearly.timezone)) && have.includes(patternSchedulerId(berlin.cron, berlin.timezone)) && have;
      },
      10_000,
    );
    expect(keys.filter((k) => [a.id, b.id, c.id].some((id) => k.includes(id)))).toEqual([]);
    expect(new Set(keys).size).toBe(keys.length);

    const slotAt = new Date('2026-01-01T00:00:00Z');
    const job = { id: `repeat:${patternSchedulerId(yearly.cron, yearly.timezone)}:${slotAt.getTime()}`, opts: { prevMillis: slotAt.getTime() } };
    const now = new Date(slotAt.getTime() + 1_000);
    expect(await firePattern(yearly, job, { sweepMs: 500 }, now)).toEqual({ schedules: 3, started: 3 });
    // The same fire again (a retry, a second worker): every slot is there already, nothing starts.
    expect(await firePattern(yearly, job, { sweepMs: 500 }, now)).toEqual({ schedules: 3, duplicate: 3 });
    const slots = await db().scheduledSlot.findMany({ where: { sourceId: { in: [a.id, b.id, c.id] } }, orderBy: { scheduleId: 'asc' } });
    expect(slots.map((s) => [s.sourceId, s.scheduleId, s.state, s.slotAt.toISOString()]).sort()).toEqual(
      [
        [a.id, 'g-backup', 'STARTED', slotAt.toISOString()],
        [b.id, 'g-backup', 'STARTED', slotAt.toISOString()],
        [c.id, 'g-prune', 'STARTED', slotAt.toISOString()],
      ].sort(),
    );
    for (const source of [a, b]) {
      const runs = await db().run.findMany({ where: { sourceId: source.id, trigger: 'schedule' } });
      expect(runs.map((r) => r.kind)).toEqual(['BACKUP']);
      expect(slots.find((s) => s.sourceId === source.id)?.runId).toBe(runs[0]!.id);
    }
    expect(await db().run.count({ where: { sourceId: c.id } })).toBe(0);
    await unschedule(p1, a.id);
    await unschedule(p1, b.id);
    await unschedule(p2, c.id);
  }, 90_000);

  // The outage is measured by the test's own liveness evidence, not inferred from the heartbeats: from the moment
  // every worker process has exited (their 'exit' events) to the moment just before the new ones are spawned, no
  // worker of this catalog exists (the catalog is this file's own, see CATALOG). The RPO is the source's tier's, 20 s,
  // and the outage longer: the returning workers' start-up reconcile records the outage and its catch-up is decided
  // right after, before either worker takes a fire (workers/main.ts), so no regular backup can race it. Before the
  // outage a manual backup and the regular ones keep the RPO, so no catch-up is started then (one would hold off the
  // outage's own for 15 minutes, catch-up.ts).
  it('(b) every worker stopped for three slots or more: each MISSED "no worker was running", then ONE catch-up backup', async () => {
    const RPO_SECONDS = 20;
    const database = uniqueName('lbt_sched_b');
    databases.push(database);
    await createDatabase(database, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    const policyId = await createPolicy(backupsDir);
    const tier = await db().tier.create({ data: { name: uniqueName('sched-tier'), rpoSeconds: RPO_SECONDS, rtoSeconds: 3_600 } });
    const service = await db().service.create({ data: { name: uniqueName('sched-svc'), tierId: tier.id } });
    const sourceId = (await addSource(database, policyId)).id;
    await db().source.update({ where: { id: sourceId }, data: { serviceId: service.id } });
    const manual = await requestBackup({ actor: operator }, sourceId);
    await waitForRun(manual.id, (r) => r.status === 'SUCCEEDED', 60_000, output);
    await db().policy.update({
      where: { id: policyId },
      data: { schedules: [{ id: SCHEDULE_ID, kind: 'backup', backupType: 'full', cron: EVERY_2S, timezone: 'UTC' }] },
    });
    await waitFor('a succeeded scheduled backup', async () => db().run.findFirst({ where: { sourceId, trigger: 'schedule', status: 'SUCCEEDED' } }), 30_000);
    expect(await db().run.count({ where: { sourceId, trigger: 'catch-up' } }), 'a catch-up before the outage (the RPO was kept)').toBe(0);

    // Stopped mid-slot (a second after a slot, a second before the next), so a fire is rarely in flight: a run one
    // makes as the workers stop stays QUEUED through the outage (see the end).
    await sleep((3_000 - (Date.now() % 2_000)) % 2_000);
    const stopping = workers;
    await stopWorkers();
    for (const w of stopping) expect(w.child.exitCode !== null || w.child.signalCode !== null, 'a worker still running').toBe(true);
    const allExited = new Date();
    const leftover = await db().run.findMany({ where: { sourceId, kind: 'BACKUP', status: { in: ['QUEUED', 'RUNNING'] } } });
    // The evidence the reconciler reads agrees: every beat of the stopped workers is before they exited.
    const lastBeat = (await db().workerHeartbeat.aggregate({ where: { queuePrefix: PREFIX }, _max: { lastSeenAt: true } }))._max.lastSeenAt!;
    expect(lastBeat.getTime()).toBeLessThanOrEqual(allExited.getTime());
    // Longer than the RPO: every backup started before allExited, so at the first catch-up check after the restart the
    // RPO is breached however slowly the workers come back.
    await sleep(RPO_SECONDS * 1_000 + 1_000);
    const restartSpawned = new Date();
    await startWorkers(2);
    const firstNewBeat = (await db().workerHeartbeat.aggregate({ where: { queuePrefix: PREFIX, startedAt: { gt: allExited } }, _min: { startedAt: true } }))._min.startedAt;
    if (firstNewBeat) expect(firstNewBeat.getTime()).toBeGreaterThanOrEqual(restartSpawned.getTime());

    // The slots no worker could start: after every worker exited, and more than a grace before the first new one was
    // spawned (a fire of one of them is taken after the spawn, later than its grace: it starts nothing). A slot within
    // a grace of the spawn could fairly be fired in time by a worker quick to start, so it is left out. Those more than
    // the heartbeat tolerance after the exit are covered by no heartbeat: "no worker was running".
    const outage = slotsBetween(schedule, allExited, new Date(restartSpawned.getTime() - GRACE_MS));
    const interior = outage.filter((at) => at.getTime() > allExited.getTime() + TOLERANCE_MS);
    expect(interior.length).toBeGreaterThanOrEqual(3);
    // The returning workers' start (sync, beat, reconcile, catch-up) takes seconds, many more under load.
    const recorded = await waitFor(
      'the outage slots recorded',
      async () => {
        const rows = await db().scheduledSlot.findMany({ where: { sourceId, slotAt: { in: outage } } });
        return rows.length === outage.length ? rows : null;
      },
      60_000,
    );
    // With no backup left queued by the stop, the catch-up is owed; otherwise that backup, run by the returning
    // workers, holds it off and then restores the RPO (the catch-up rule: no backup queued or running).
    if (leftover.length === 0) {
      const catchUp = await waitFor('the catch-up backup', async () => db().run.findFirst({ where: { sourceId, trigger: 'catch-up' } }), 60_000);
      await waitForRun(catchUp.id, isTerminal, 60_000, output);
    } else {
      for (const run of leftover) await waitForRun(run.id, isTerminal, 60_000, output);
    }
    // A few sweeps of both workers more: no second catch-up appears.
    await sleep(2_500);
    await unschedule(policyId, sourceId);

    const byTime = new Map(recorded.map((s) => [s.slotAt.getTime(), s]));
    const table = JSON.stringify(recorded.map((s) => [s.slotAt.toISOString(), s.state, s.reason]));
    for (const at of outage) {
      const slot = byTime.get(at.getTime())!;
      expect([slot.state, slot.runId], `${at.toISOString()} in ${table}`).toEqual(['MISSED', null]);
      // Within the tolerance of the last beat a heartbeat still covers the slot: "not fired", or "fired too late" when
      // the job scheduler's one overdue job is what recorded it.
      const reason = slot.reason ?? '';
      const fair = interior.some((t) => t.getTime() === at.getTime())
        ? reason === SLOT_REASONS.noWorker
        : reason === SLOT_REASONS.noWorker || reason === SLOT_REASONS.notFired || reason.startsWith(SLOT_REASONS.late);
      expect(fair, `${at.toISOString()}: "${reason}" in ${table}`).toBe(true);
    }
    // No run for a slot of the outage: every scheduled run since the stop belongs to a slot after it.
    const since = await db().run.findMany({ where: { sourceId, trigger: 'schedule', createdAt: { gt: allExited } }, select: { id: true, createdAt: true } });
    const sinceSlots = await db().scheduledSlot.findMany({ where: { runId: { in: since.map((r) => r.id) } } });
    for (const s of sinceSlots) expect(s.slotAt.getTime()).toBeGreaterThan(restartSpawned.getTime() - GRACE_MS);
    // The trail says why, once per reconciler pass.
    const audits = await db().auditEvent.findMany({ where: { action: 'slot.missed', targetId: sourceId } });
    expect(audits.some((e) => ((e.details as { reasons?: string[] }).reasons ?? []).includes(SLOT_REASONS.noWorker)), JSON.stringify(audits.map((e) => e.details))).toBe(true);

    // ONE catch-up for the outage, never one per missed slot, and it succeeds.
    const catchUps = await db().run.findMany({ where: { sourceId, trigger: 'catch-up' } });
    if (leftover.length === 0) {
      expect(catchUps.map((r) => r.status), output()).toEqual(['SUCCEEDED']);
      const catchUp = catchUps[0]!;
      expect(catchUp.kind).toBe('BACKUP');
      expect(catchUp.createdAt.getTime()).toBeGreaterThan(restartSpawned.getTime());
      // Decided before any fire of the returning workers: no regular run was made before it.
      expect(since.filter((r) => r.createdAt < catchUp.createdAt)).toEqual([]);
      expect(await db().recoveryPoint.count({ where: { runId: catchUp.id } })).toBe(1);
    } else {
      // The race the stop can lose: a backup fired as the workers stopped stayed QUEUED; the returning workers ran it,
      // and it restored the RPO, so the rule owes no catch-up.
      const ran = await db().run.findMany({ where: { id: { in: leftover.map((r) => r.id) } } });
      const restoredBy = ran.find((r) => r.status === 'SUCCEEDED' && r.startedAt !== null && r.startedAt > restartSpawned);
      expect(restoredBy, `a backup was left queued by the stop (${JSON.stringify(ran.map((r) => [r.id, r.trigger, r.status, r.startedAt]))}) but did not restore the RPO`).toBeDefined();
      console.info(`(b) no catch-up: backup ${restoredBy!.id} (trigger ${restoredBy!.trigger}), queued as the workers stopped, ran at ${restoredBy!.startedAt!.toISOString()} and restored the RPO`);
      expect(catchUps.length).toBeLessThanOrEqual(1);
      for (const r of catchUps) expect(r.status).toBe('SUCCEEDED');
    }
  }, 180_000);

  it('(g) a slot whose destination is at its concurrency limit waits: it starts once there is room, and is SKIPPED only after its window', async () => {
    // Two sources on one policy (one destination) allowing one scheduled run at a time.
    const [dbA, dbB] = [uniqueName('lbt_sched_ga'), uniqueName('lbt_sched_gb')];
    databases.push(dbA, dbB);
    for (const d of [dbA, dbB]) await createDatabase(d, 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    const policyId = await createPolicy(backupsDir);
    const a = await addSource(dbA, policyId);
    const b = await addSource(dbB, policyId);
    await db().policy.update({
      where: { id: policyId },
      data: {
        maxConcurrentPerDestination: 1,
        schedules: [
          { id: 'y-backup', kind: 'backup', backupType: 'full', ...YEARLY },
          { id: 'y-window', kind: 'backup', backupType: 'full', ...YEARLY, window: { start: '00:00', end: '00:30' } },
        ],
      },
    });
    const now = new Date(NEXT_NEW_YEAR.getTime() + 1_000);
    // A's scheduled backup takes the destination's one place and is held there by a lock its pg_dump waits on.
    const locker = new pg.Client({ connectionString: serverUrl(dbA) });
    await locker.connect();
    let released = false;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
      const first = await fireSlot({ sourceId: a.id, scheduleId: 'y-backup' }, firedAt(NEXT_NEW_YEAR), { sweepMs: 500 }, now);
      expect(first.outcome).toBe('started');
      const runA = (first as { runId: string }).runId;
      await waitForRun(runA, (r) => r.status === 'RUNNING', 30_000, output);

      // B's two slots wait for the destination instead of being skipped at once.
      const waiting = await Promise.all(['y-backup', 'y-window'].map((id) => fireSlot({ sourceId: b.id, scheduleId: id }, firedAt(NEXT_NEW_YEAR), { sweepMs: 500 }, now)));
      expect(waiting).toEqual([
        { outcome: 'skipped', slotAt: NEXT_NEW_YEAR, reason: SLOT_REASONS.destinationWaiting },
        { outcome: 'skipped', slotAt: NEXT_NEW_YEAR, reason: SLOT_REASONS.destinationWaiting },
      ]);
      // Past the window's end (00:30) with the destination still full: the windowed slot gives up, with the reason;
      // the other (no window: it may wait an hour) keeps waiting, through the workers' own sweeps too.
      await startWaitingSlots(new Date('2027-01-01T00:30:01Z'));
      await sleep(1_500);
      const held = await db().scheduledSlot.findMany({ where: { sourceId: b.id }, orderBy: { scheduleId: 'asc' } });
      expect(held.map((x) => [x.scheduleId, x.state, x.reason, x.runId])).toEqual([
        ['y-backup', 'SKIPPED', SLOT_REASONS.destinationWaiting, null],
        ['y-window', 'SKIPPED', SLOT_REASONS.destinationBusy, null],
      ]);
      expect(await db().run.count({ where: { sourceId: b.id } })).toBe(0);

      // A's backup ends: within a sweep the waiting slot starts its run, and it is the slot's only one.
      await locker.query('COMMIT');
      released = true;
      await waitForRun(runA, (r) => r.status === 'SUCCEEDED', 60_000, output);
      const started = await waitFor(
        'the waiting slot started',
        async () => db().scheduledSlot.findFirst({ where: { sourceId: b.id, scheduleId: 'y-backup', state: 'STARTED' } }),
        20_000,
      );
      expect(started.reason).toBeNull();
      const runB = await waitForRun(started.runId!, isTerminal, 60_000, output);
      expect([runB.status, runB.trigger, runB.kind]).toEqual(['SUCCEEDED', 'schedule', 'BACKUP']);
      expect(await db().run.count({ where: { sourceId: b.id } })).toBe(1);
    } finally {
      if (!released) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    await unschedule(policyId, a.id);
    await unschedule(policyId, b.id);
  }, 120_000);

  it('(h) a scheduled backup failing on every attempt stays FAILED with its reason, listed by the Failed runs filter', async () => {
    // Nothing listens on the source's port: every attempt is refused (a transient error, so all three are spent).
    const policyId = await createPolicy(backupsDir);
    const source = await addSource(uniqueName('lbt_sched_nowhere'), policyId, await freePort());
    await db().policy.update({ where: { id: policyId }, data: { schedules: [{ id: 'y-backup', kind: 'backup', backupType: 'full', ...YEARLY }] } });
    const fired = await fireSlot({ sourceId: source.id, scheduleId: 'y-backup' }, firedAt(NEXT_NEW_YEAR), { sweepMs: 500 }, new Date(NEXT_NEW_YEAR.getTime() + 1_000));
    expect(fired.outcome).toBe('started');
    const runId = (fired as { runId: string }).runId;
    const run = await waitForRun(runId, isTerminal, 60_000, output);
    expect([run.status, run.trigger, run.attempt, run.maxAttempts]).toEqual(['FAILED', 'schedule', 3, 3]);
    expect(run.error).toBeTruthy();
    // It stays FAILED: no sweep or later fire re-queues a run that spent its attempts.
    await sleep(1_500);
    expect((await db().run.findUniqueOrThrow({ where: { id: runId } })).status).toBe('FAILED');
    // The slot did start (its run failed): STARTED with that run.
    const slot = await db().scheduledSlot.findFirstOrThrow({ where: { sourceId: source.id, slotAt: NEXT_NEW_YEAR } });
    expect([slot.state, slot.runId]).toEqual(['STARTED', runId]);

    // The Failed runs view's query, through the API as a viewer would call it.
    const user = await db().user.create({ data: { email: `${uniqueName('viewer')}@sched.test`, name: 'viewer', role: 'VIEWER' } });
    const { token } = await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: uniqueName('tok'), role: 'VIEWER' });
    const res = await runsRoute.GET(
      new NextRequest(`http://lifeboat.test/api/v1/runs?status=FAILED&trigger=schedule&limit=200`, { headers: { authorization: `Bearer ${token}` } }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: Array<{ id: string; status: string; trigger: string; error: string | null; attempt: number }> };
    expect(items.find((r) => r.id === runId)).toMatchObject({ status: 'FAILED', trigger: 'schedule', error: run.error, attempt: 3 });
    expect(items.every((r) => r.status === 'FAILED' && r.trigger === 'schedule')).toBe(true);
    await db().policy.update({ where: { id: policyId }, data: { schedules: [] } });
  }, 90_000);
});
