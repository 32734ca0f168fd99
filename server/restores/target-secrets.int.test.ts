/**
 * Issue 10 item 4: credentials in a restore target (a Redis replay target's password) are sealed, never stored or
 * shown. Against a real database, a real redis-server as the replay target (the request's target check logs in with
 * the password, so a wrong one is refused: the value really reaches the engine) and the real verbs: the direct
 * restore, a restore request through its approvals, an edit of the password, the destructive replay's rule.
 */
import crypto from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveRestoreRequest, createRestoreRequest, updateRestoreRequest } from '@/server/approvals';
import { getRestoreRequest } from '@/server/approvals/list-restore-requests';
import { cleanupAll, person, pointRow, sessionOf, tieredService, trackSource, type Person } from '@/server/approvals/test-fixtures';
import type { Actor } from '@/server/auth/permissions';
import { startTestRedis, type TestRedis } from '@/server/engines/redis/testing';
import { createSource } from '@/server/inventory/create-source';
import { RUNS_QUEUE } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { getRun } from '@/server/runs/get-run';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { openSecret } from '@/server/shared/secrets';
import { uniqueName } from '@/server/testing/pg';
import { requestRestore } from './request-restore';
import { SEALED } from './target-secrets';

// This file's own queue: nothing consumes it, so the runs stay QUEUED and their jobs can be read back.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-target-secrets');

const system: Actor = { type: 'system', id: null, label: 'target secrets test', role: 'ADMIN' };
let target: TestRedis;
/** One connection kept open: it stays logged in while a test changes the server's password. */
let targetAdmin: Redis;
const setTargetPassword = (password: string) => targetAdmin.config('SET', 'requirepass', password);
let operator: Person;
let approver: Person;
let admin: Person;
/** A Redis source (its server is never contacted: only the replay target is) with one recovery point row. */
async function redisPoint(approvals: number | null): Promise<{ pointId: string; sourceId: string }> {
  const source = await createSource({ actor: system }, { kind: 'redis', name: uniqueName('ts-src'), config: { host: '127.0.0.1', port: 1 }, testConnection: false });
  trackSource(source.id);
  if (approvals !== null) {
    const { serviceId } = await tieredService(approvals);
    await db().source.update({ where: { id: source.id }, data: { serviceId } });
  }
  return { pointId: await pointRow(source.id, 'redis', 'data.rdb', 10n), sourceId: source.id };
}

const replay = (extra: Record<string, unknown> = {}) => ({ mode: 'replay', host: '127.0.0.1', port: target.port, password: target.password, ...extra });

/** Everything the catalog says about a source's restores, as one string: where a leaked password would show. */
async function catalogText(sourceId: string): Promise<string> {
  const [requests, runs] = await Promise.all([
    db().restoreRequest.findMany({ where: { sourceId }, select: { id: true, target: true, history: true, paramsHash: true } }),
    db().run.findMany({ where: { sourceId }, select: { id: true, params: true, result: true, error: true } }),
  ]);
  const ids = [...requests.map((r) => r.id), ...runs.map((r) => r.id)];
  const [audit, logs, decisions] = await Promise.all([
    db().auditEvent.findMany({ where: { targetId: { in: ids } } }),
    db().runLog.findMany({ where: { runId: { in: runs.map((r) => r.id) } } }),
    db().restoreApproval.findMany({ where: { requestId: { in: requests.map((r) => r.id) } } }),
  ]);
  return JSON.stringify({ requests, runs, audit, logs, decisions }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

async function jobOf(runId: string): Promise<unknown> {
  const connection = redisConnection('producer');
  const queue = new Queue(RUNS_QUEUE, { connection, prefix: process.env.LIFEBOAT_QUEUE_PREFIX });
  try {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    return jobs.find((j) => (j.data as { runId?: string }).runId === runId)?.data;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

beforeAll(async () => {
  target = await startTestRedis();
  targetAdmin = target.client(0);
  await targetAdmin.ping();
  [operator, approver, admin] = await Promise.all([person('OPERATOR'), person('APPROVER'), person('ADMIN')]);
});

afterAll(async () => {
  // The sources, tiers and services redisPoint made, and the people person() made (an admin among them: left
  // behind, the e2e seed would find an admin and not create its own).
  await cleanupAll();
  await target?.stop();
  await closeProducer();
  await disconnectDb();
});

describe('restore target secrets', () => {
  it('a direct restore stores the target with "(sealed)" and the password sealed to its run only', async () => {
    const { pointId, sourceId } = await redisPoint(null);
    const run = await requestRestore({ actor: system }, pointId, { target: replay() });
    const row = await db().run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.params).toMatchObject({ target: { mode: 'replay', host: '127.0.0.1', port: target.port, password: SEALED }, mode: 'replay' });
    expect(row.targetSecrets).not.toBeNull();
    expect(row.targetSecrets).not.toContain(target.password);
    // Bound to this run: what the restoring worker opens, and nothing else opens it.
    expect(openSecret(row.targetSecrets!, `run-target:${run.id}`)).toEqual({ password: target.password });
    expect(() => openSecret(row.targetSecrets!, `run-target:${crypto.randomUUID()}`)).toThrow();
    expect(await jobOf(run.id)).toEqual({ runId: run.id });
    expect(JSON.stringify(await getRun({ actor: system }, run.id))).not.toContain(target.password);
    expect(await catalogText(sourceId)).not.toContain(target.password);
  });

  it('the password reaches the target check: a wrong one is refused at the request, and never echoed', async () => {
    const { pointId, sourceId } = await redisPoint(null);
    const refused = await requestRestore({ actor: system }, pointId, { target: replay({ password: 'not-the-target-password' }) }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('refused the login') });
    expect((refused as Error).message).not.toContain('not-the-target-password');
    expect(await db().run.count({ where: { sourceId, kind: 'RESTORE' } })).toBe(0);
  });

  it('refuses "(sealed)" in a new target: it stands for a value sealed before, and there is none', async () => {
    const { pointId } = await redisPoint(null);
    const refused = await requestRestore({ actor: system }, pointId, { target: replay({ password: SEALED }) }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'VALIDATION', details: { issues: [{ path: ['target', 'password'] }] } });
  });

  it('a restore request seals it to the request, re-seals it to the run on approval, and an edit of it voids approvals', async () => {
    const { pointId, sourceId } = await redisPoint(1);
    const requester = (await sessionOf(operator))!;
    const created = await createRestoreRequest({ actor: requester }, { recoveryPointId: pointId, target: replay(), reason: 'sealed target test: replay' });
    expect(created).toMatchObject({ status: 'PENDING_APPROVAL', target: { password: SEALED }, sealedFields: ['password'], mode: 'replay' });
    const stored = await db().restoreRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(openSecret(stored.targetSecrets!, `restore-request:${created.id}`)).toEqual({ password: target.password });

    // The tier asks for one approval: this one executes the request, and the run gets the password sealed to itself.
    const approved = await approveRestoreRequest({ actor: (await sessionOf(approver))! }, created.id, {});
    expect(approved).toMatchObject({ status: 'EXECUTED', runId: expect.any(String) });
    const runRow = await db().run.findUniqueOrThrow({ where: { id: approved.runId! } });
    expect(runRow.params).toMatchObject({ target: { password: SEALED } });
    expect(openSecret(runRow.targetSecrets!, `run-target:${runRow.id}`)).toEqual({ password: target.password });
    expect(() => openSecret(runRow.targetSecrets!, `restore-request:${created.id}`)).toThrow();
    expect(await jobOf(runRow.id)).toEqual({ runId: runRow.id });

    const second = await createRestoreRequest({ actor: requester }, { recoveryPointId: pointId, target: replay(), reason: 'sealed target test: edit' });
    // Same target and password as the first: the same parameters, the same hash.
    expect(second.id).not.toBe(created.id);
    const secondRow = await db().restoreRequest.findUniqueOrThrow({ where: { id: second.id } });
    expect(secondRow.paramsHash).toBe(stored.paramsHash);
    // Keeping the marker keeps the sealed value: a reason-only edit leaves the hash alone.
    const reasonOnly = await updateRestoreRequest({ actor: requester }, second.id, { target: replay({ password: SEALED }), reason: 'sealed target test: edited reason' });
    expect((await db().restoreRequest.findUniqueOrThrow({ where: { id: second.id } })).paramsHash).toBe(stored.paramsHash);
    expect(reasonOnly.version).toBe(2);
    // A changed password: nothing visible changed, yet the hash did.
    await setTargetPassword(`${target.password}-2`);
    try {
      const edited = await updateRestoreRequest({ actor: requester }, second.id, { target: replay({ password: `${target.password}-2` }) });
      const editedRow = await db().restoreRequest.findUniqueOrThrow({ where: { id: second.id } });
      expect(editedRow.paramsHash).not.toBe(stored.paramsHash);
      expect(edited).toMatchObject({ target: { password: SEALED }, status: 'PENDING_APPROVAL', version: 3 });
      expect(openSecret(editedRow.targetSecrets!, `restore-request:${second.id}`)).toEqual({ password: `${target.password}-2` });
      const event = await db().auditEvent.findFirstOrThrow({ where: { targetId: second.id, action: 'restore-request.update' }, orderBy: { id: 'desc' } });
      expect(event.details).toMatchObject({ sealedSecretsChanged: true, voidsApprovals: true });
      const dto = await getRestoreRequest({ actor: requester }, second.id);
      expect(dto.sealedFields).toEqual(['password']);
      expect(JSON.stringify(dto)).not.toContain(target.password);
      expect(await catalogText(sourceId)).not.toContain(target.password);
    } finally {
      await setTargetPassword(target.password);
    }
  });

  it('an approval of the old password no longer counts after the password is edited', async () => {
    const { pointId } = await redisPoint(2);
    const requester = (await sessionOf(operator))!;
    const created = await createRestoreRequest({ actor: requester }, { recoveryPointId: pointId, target: replay(), reason: 'sealed target test: void' });
    const once = await approveRestoreRequest({ actor: (await sessionOf(approver))! }, created.id, {});
    expect(once.approvals).toHaveLength(1);
    await setTargetPassword(`${target.password}-3`);
    try {
      const edited = await updateRestoreRequest({ actor: requester }, created.id, { target: replay({ password: `${target.password}-3` }) });
      expect(edited.approvals).toHaveLength(0);
      expect(edited.decisions).toMatchObject([{ decision: 'APPROVE', counts: false, voided: 'edited' }]);
    } finally {
      await setTargetPassword(target.password);
    }
  });

  it('{ mode: "replay", destructive: true } is the destructive replay: typed host:port, one approval more, an admin among them', async () => {
    const { pointId } = await redisPoint(null);
    const requester = (await sessionOf(operator))!;
    const body = { recoveryPointId: pointId, target: replay({ destructive: true }), reason: 'sealed target test: destructive replay' };
    await expect(createRestoreRequest({ actor: requester }, body)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining(`type "127.0.0.1:${target.port}"`),
    });
    const created = await createRestoreRequest({ actor: requester }, { ...body, confirm: `127.0.0.1:${target.port}` });
    expect(created).toMatchObject({
      status: 'PENDING_APPROVAL',
      mode: 'replay-replace',
      destructive: true,
      requiredApprovals: 1,
      requiresAdminApproval: true,
      risk: { replaces: `the snapshot's keys on Redis at 127.0.0.1:${target.port}` },
    });
    // A non-destructive mode with destructive: true is refused, whatever the target says.
    await expect(createRestoreRequest({ actor: requester }, { ...body, mode: 'replay' })).rejects.toMatchObject({ code: 'VALIDATION' });
    const done = await approveRestoreRequest({ actor: (await sessionOf(admin))! }, created.id, {});
    expect(done).toMatchObject({ status: 'EXECUTED' });
    const run = await db().run.findUniqueOrThrow({ where: { id: done.runId! } });
    expect(run.params).toMatchObject({ mode: 'replay-replace', target: { destructive: true, password: SEALED } });
  });
});
