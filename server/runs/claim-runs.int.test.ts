import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { db, disconnectDb } from '@/server/shared/db';
import { addSource, createPolicy, operator } from '@/workers/testing/run-fixtures';
import { createRun } from './create-run';
import { claimRuns } from './transitions';

// Real catalog. The runs are never enqueued: only their rows are claimed.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-claim-test-'));

afterAll(async () => {
  await disconnectDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('claimRuns', () => {
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
});
