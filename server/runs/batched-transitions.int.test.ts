import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { db, disconnectDb } from '@/server/shared/db';
import { addSource, createPolicy, operator } from '@/workers/testing/run-fixtures';
import { createRun } from './create-run';
import { claimRuns, finishRuns } from './transitions';

// Real catalog. The runs are never enqueued: only their rows are claimed.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-claim-test-'));

afterAll(async () => {
  await disconnectDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('batched run transitions', () => {
  it('claims a batch in one statement: each queued id once; taken, cancelled or repeated ids get null', async () => {
    const policyId = await createPolicy(dir);
    const source = await addSource('lbt_claim_never_dumped', policyId);
    const make = () => db().$transaction((tx) => createRun(tx, 'BACKUP', { actor: operator, sourceId: source.id, destinationId: null, details: {} }));
    const [a, b, c, d] = [await make(), await make(), await make(), await make()];
    await db().run.update({ where: { id: c.id }, data: { status: 'CANCELLED', cancelRequested: true } });
    expect((await claimRuns([d.id], 'worker-other'))[0]).toMatchObject({ id: d.id, attempt: 1 });

    const claimed = await claimRuns([a.id, b.id, a.id, c.id, d.id], 'worker-1');
    expect(claimed.map((r) => r?.id ?? null)).toEqual([a.id, b.id, null, null, null]);
    expect(claimed[0]).toMatchObject({ kind: 'BACKUP', attempt: 1, sourceId: source.id });
    const rows = await db().run.findMany({ where: { id: { in: [a.id, b.id, c.id, d.id] } }, select: { id: true, status: true, workerId: true, startedAt: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect([a, b].map((r) => [byId.get(r.id)!.status, byId.get(r.id)!.workerId])).toEqual([
      ['RUNNING', 'worker-1'],
      ['RUNNING', 'worker-1'],
    ]);
    expect(byId.get(a.id)!.startedAt).toEqual(byId.get(b.id)!.startedAt);
    expect([byId.get(c.id)!.status, byId.get(d.id)!.workerId]).toEqual(['CANCELLED', 'worker-other']);
    // A claimed run is not claimable again, by anyone.
    expect(await claimRuns([a.id], 'worker-2')).toEqual([null]);
  });

  it('finishes a batch in one transaction: each owned run ends with its own audit event; one failing onCommit costs only its own run', async () => {
    const policyId = await createPolicy(dir);
    const source = await addSource('lbt_finish_never_dumped', policyId);
    const make = () => db().$transaction((tx) => createRun(tx, 'BACKUP', { actor: operator, sourceId: source.id, destinationId: null, details: {} }));
    const runs = [await make(), await make(), await make(), await make(), await make()];
    const [a, b, c, d, e] = runs;
    await claimRuns([a!.id, b!.id, c!.id, d!.id, e!.id], 'w-fin');
    await db().run.update({ where: { id: c!.id }, data: { workerId: 'w-someone-else' } });

    const first = await finishRuns([
      { runId: a!.id, workerId: 'w-fin', input: { status: 'SUCCEEDED', bytesDone: 10 } },
      { runId: b!.id, workerId: 'w-fin', input: { status: 'FAILED', error: 'boom' } },
      { runId: c!.id, workerId: 'w-fin', input: { status: 'SUCCEEDED' } },
    ]);
    expect(first[0]).toEqual({ cancelRequested: false });
    expect(first[1]).toEqual({ cancelRequested: false });
    expect(first[2]).toBeInstanceOf(Error);
    expect((first[2] as Error).message).toMatch(/no longer owned/);

    // One onCommit throws: the batch rolls back and is retried run by run; only that run fails to finish.
    const second = await finishRuns([
      { runId: d!.id, workerId: 'w-fin', input: { status: 'SUCCEEDED', onCommit: async () => Promise.reject(new Error('point insert failed')) } },
      { runId: e!.id, workerId: 'w-fin', input: { status: 'SUCCEEDED', onCommit: async (tx) => void (await tx.run.update({ where: { id: e!.id }, data: { result: { ok: true } } })) } },
    ]);
    expect((second[0] as Error).message).toBe('point insert failed');
    expect(second[1]).toEqual({ cancelRequested: false });

    const rows = new Map((await db().run.findMany({ where: { id: { in: runs.map((r) => r!.id) } } })).map((r) => [r.id, r]));
    expect(runs.map((r) => rows.get(r!.id)!.status)).toEqual(['SUCCEEDED', 'FAILED', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(rows.get(a!.id)!.bytesDone).toBe(10n);
    expect(rows.get(b!.id)!.error).toBe('boom');
    expect(rows.get(e!.id)!.result).toEqual({ ok: true });
    const audits = await db().auditEvent.findMany({ where: { action: 'run.finish', targetId: { in: runs.map((r) => r!.id) } }, orderBy: { id: 'asc' } });
    expect(audits.map((x) => [x.targetId, (x.details as { status: string }).status])).toEqual([
      [a!.id, 'SUCCEEDED'],
      [b!.id, 'FAILED'],
      [e!.id, 'SUCCEEDED'],
    ]);
  });
});
