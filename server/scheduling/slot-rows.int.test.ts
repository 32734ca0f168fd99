import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuns } from '@/server/runs/create-run';
import { db, disconnectDb } from '@/server/shared/db';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { addSource, createPolicy, operator } from '@/workers/testing/run-fixtures';
import { insertSlots } from './slot-rows';

// Real catalog: the scheduler's multi-row inserts (written as INSERT … SELECT FROM unnest) against the ORM's reading.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-slot-rows-test-'));

afterAll(async () => {
  await disconnectDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('scheduler multi-row inserts', () => {
  it('insertSlots writes every column, nulls included; a repeated slot is a unique violation, or skipped when asked', async () => {
    const policyId = await createPolicy(dir);
    const source = await addSource('lbt_slot_rows_never_dumped', policyId);
    const slotAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    const before = Date.now();
    const rows = [
      { sourceId: source.id, scheduleId: 'nightly', slotAt, policyId, kind: 'backup', state: 'MISSED' as const, reason: 'no worker was running' },
      { sourceId: source.id, scheduleId: 'hourly', slotAt, policyId: null, kind: 'verify', state: 'STARTED' as const },
    ];
    expect(await insertSlots(db(), rows)).toBe(2);
    const stored = await db().scheduledSlot.findMany({ where: { sourceId: source.id }, orderBy: { scheduleId: 'asc' } });
    expect(stored.map((s) => [s.scheduleId, s.kind, s.state, s.reason, s.runId, s.policyId, s.slotAt.toISOString()])).toEqual([
      ['hourly', 'verify', 'STARTED', null, null, null, slotAt.toISOString()],
      ['nightly', 'backup', 'MISSED', 'no worker was running', null, policyId, slotAt.toISOString()],
    ]);
    // createdAt is the writer's clock.
    for (const s of stored) expect(Math.abs(s.createdAt.getTime() - before)).toBeLessThan(60_000);

    const again = await insertSlots(db(), [rows[0]!]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isUniqueViolation(again)).toBe(true);
    expect(await insertSlots(db(), rows, { skipDuplicates: true })).toBe(0);
    expect(await db().scheduledSlot.count({ where: { sourceId: source.id } })).toBe(2);
  });

  it('createRuns writes the runs as the ORM would: defaults, nulls, params and their audit events', async () => {
    const policyId = await createPolicy(dir);
    const source = await addSource('lbt_run_rows_never_dumped', policyId);
    const ids = [crypto.randomUUID(), crypto.randomUUID()];
    const before = Date.now();
    await db().$transaction((tx) =>
      createRuns(tx, 'BACKUP', [
        { id: ids[0]!, actor: operator, sourceId: source.id, destinationId: null, details: { n: 1 }, trigger: 'schedule' },
        { id: ids[1]!, actor: operator, sourceId: source.id, destinationId: null, details: { n: 2 }, params: { type: 'full', nested: { a: [1, 'x'] } } },
      ]),
    );
    const runs = await db().run.findMany({ where: { id: { in: ids } } });
    const byId = new Map(runs.map((r) => [r.id, r]));
    const [a, b] = [byId.get(ids[0]!)!, byId.get(ids[1]!)!];
    expect([a.status, a.kind, a.attempt, a.jobGeneration, a.trigger, a.requestedBy, a.params, a.destinationId, a.inputPointId]).toEqual([
      'QUEUED', 'BACKUP', 0, 0, 'schedule', operator.label, {}, null, null,
    ]);
    expect([b.trigger, b.params, b.maxAttempts]).toEqual(['manual', { type: 'full', nested: { a: [1, 'x'] } }, a.maxAttempts]);
    expect(Math.abs(a.createdAt.getTime() - before)).toBeLessThan(60_000);
    const events = await db().auditEvent.findMany({ where: { targetType: 'run', targetId: { in: ids } }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.targetId, e.details])).toEqual([
      [ids[0], { n: 1 }],
      [ids[1], { n: 2 }],
    ]);
    // Chained in the order given: each event's prevHash is the hash before it.
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
  });
});
