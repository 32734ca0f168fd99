import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { createPolicy } from './create-policy';
import { deletePolicy } from './delete-policy';
import { updatePolicy } from './update-policy';

// Policy verbs against the real catalog: schedules validated at the edge (422 naming the field, nothing stored),
// checked against the engines of the sources using the policy, edits audited, deletes refused while in use.

const operator: Actor = { type: 'system', id: null, label: 'policies test operator', role: 'OPERATOR' };
const viewer: Actor = { type: 'system', id: null, label: 'policies test viewer', role: 'VIEWER' };
const ctx = { actor: operator };

let dir: string;
let destinationId: string;
let otherDestinationId: string;
const created = { sources: [] as string[], policies: [] as string[] };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-policies-test-'));
  destinationId = (await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: dir } } })).id;
  otherDestinationId = (await db().destination.create({ data: { name: uniqueName('dest2'), kind: 'local', config: { path: dir } } })).id;
});

afterAll(async () => {
  await db().source.deleteMany({ where: { id: { in: created.sources } } });
  await db().policy.deleteMany({ where: { id: { in: created.policies } } });
  await db().destination.deleteMany({ where: { id: { in: [destinationId, otherDestinationId] } } });
  await disconnectDb();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What the HTTP edge would answer for a verb's failure: status and the issues' paths. */
async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'the verb should have refused').not.toBeNull();
  const res = errorResponse(e);
  const body = (await res.json()) as { error: { code: string; message: string; details?: { issues?: { path: (string | number)[]; message: string }[] } } };
  return { status: res.status, ...body.error, paths: (body.error.details?.issues ?? []).map((i) => i.path.join('.')) };
}

async function newPolicy(extra: Record<string, unknown> = {}) {
  const p = await createPolicy(ctx, { name: uniqueName('policy'), destinationId, ...extra });
  created.policies.push(p.id);
  return p;
}

const weekly = { kind: 'backup', cron: '0 3 * * 0', timezone: 'UTC' };

describe('create with schedules', () => {
  it('stores schedules with ids, backup type filled in, words and the next three times', async () => {
    const p = await newPolicy({
      schedules: [weekly, { kind: 'verify', cron: '0 5 * * *', timezone: 'europe/berlin', window: { start: '04:00', end: '06:00' } }],
      maxConcurrentPerDestination: 2,
    });
    expect(p.paused).toBe(false);
    expect(p.maxConcurrentPerDestination).toBe(2);
    expect(p.schedules).toHaveLength(2);
    const [backup, verify] = p.schedules;
    expect(backup).toMatchObject({ kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC', window: null, description: 'every Sunday at 03:00 UTC' });
    expect(backup!.id).toMatch(/^s-[0-9a-f]{10}$/);
    expect(backup!.next).toHaveLength(3);
    for (const t of backup!.next) expect(new Date(t).getUTCDay()).toBe(0);
    expect(verify).toMatchObject({ kind: 'verify', timezone: 'Europe/Berlin', window: { start: '04:00', end: '06:00' } });
    expect(verify).not.toHaveProperty('backupType');
    const row = await db().policy.findUniqueOrThrow({ where: { id: p.id } });
    expect((row.schedules as { id: string }[]).map((s) => s.id)).toEqual([backup!.id, verify!.id]);
  });

  it.each([
    ['an invalid cron', { kind: 'backup', cron: '0 60 * * *' }, 'schedules.0.cron', /hour/],
    ['a cron of the wrong length', { kind: 'backup', cron: '0 3 * *' }, 'schedules.0.cron', /five or six/],
    ['an unknown time zone', { kind: 'backup', cron: '0 3 * * 0', timezone: 'Mars/Olympus' }, 'schedules.0.timezone', /Mars\/Olympus/],
    ['a window with end = start', { kind: 'backup', cron: '0 3 * * *', window: { start: '01:00', end: '01:00' } }, 'schedules.0.window.end', /differ/],
    ['a window no slot falls in', { kind: 'backup', cron: '0 6 * * *', window: { start: '01:00', end: '05:00' } }, 'schedules.0.window', /skipped/],
    ['a window time that is not HH:MM', { kind: 'backup', cron: '0 3 * * *', window: { start: '25:00', end: '05:00' } }, 'schedules.0.window.start', /HH:MM/],
    ['a cron faster than a minute', { kind: 'backup', cron: '*/10 * * * * *' }, 'schedules.0.cron', /once a minute/],
    ['a cron that never fires', { kind: 'backup', cron: '0 0 30 2 *' }, 'schedules.0.cron', /never fires/],
    ['a backup type on a verify schedule', { kind: 'verify', backupType: 'full', cron: '0 5 * * *' }, 'schedules.0.backupType', /only backup/],
    ['an unknown kind', { kind: 'restore', cron: '0 5 * * *' }, 'schedules.0.kind', /backup, verify or prune/],
  ])('refuses %s: 422 naming the field, nothing stored', async (_what, schedule, field, message) => {
    const name = uniqueName('refused');
    const r = await refusal(createPolicy(ctx, { name, destinationId, schedules: [schedule] }));
    expect(r.status).toBe(422);
    expect(r.paths).toContain(field);
    expect(r.message).toMatch(message);
    expect(await db().policy.count({ where: { name } })).toBe(0);
  });

  it('refuses duplicate schedule ids and a bad maxConcurrentPerDestination', async () => {
    const dup = await refusal(newPolicy({ schedules: [{ ...weekly, id: 'a' }, { ...weekly, id: 'a' }] }));
    expect(dup.paths).toContain('schedules.1.id');
    const zero = await refusal(newPolicy({ maxConcurrentPerDestination: 0 }));
    expect(zero.paths).toContain('maxConcurrentPerDestination');
  });
});

describe('update', () => {
  it('edits every field, keeps given schedule ids, audits what changed', async () => {
    const p = await newPolicy({ schedules: [weekly], copyDestinationIds: [otherDestinationId] });
    await db().policyCopy.updateMany({ where: { policyId: p.id }, data: { retention: { keepLast: 3, timezone: 'UTC' } } });
    const id = p.schedules[0]!.id;
    const name = uniqueName('renamed');
    const updated = await updatePolicy(ctx, p.id, {
      name,
      compressionLevel: null,
      encrypt: false,
      paused: true,
      maxConcurrentPerDestination: 4,
      copies: [{ destinationId: otherDestinationId }],
      schedules: [
        { id, kind: 'backup', cron: '0 2 * * 1-6', timezone: 'UTC' },
        { kind: 'prune', cron: '0 4 * * *' },
      ],
    });
    expect(updated).toMatchObject({ name, compressionLevel: null, encrypt: false, paused: true, maxConcurrentPerDestination: 4 });
    expect(updated.schedules.map((s) => s.id)[0]).toBe(id);
    expect(updated.schedules[0]!.description).toBe('every Monday to Saturday at 02:00 UTC');
    expect(updated.schedules[1]!.id).not.toBe(id);
    // A copy destination listed without retention keeps the one it had.
    expect(updated.copies[0]!.retention).toEqual({ keepLast: 3, timezone: 'UTC' });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { targetId: p.id, action: 'policy.update' } });
    const changes = (audit.details as { changes: Record<string, unknown> }).changes;
    expect(Object.keys(changes).sort()).toEqual(['compressionLevel', 'encrypt', 'maxConcurrentPerDestination', 'name', 'paused', 'schedules']);
  });

  it('refuses bad schedules with 422 naming the field and stores nothing', async () => {
    const p = await newPolicy({ schedules: [weekly] });
    for (const [schedule, field] of [
      [{ kind: 'backup', cron: 'every day' }, 'schedules.0.cron'],
      [{ kind: 'backup', cron: '0 3 * * *', timezone: 'Mars/Olympus' }, 'schedules.0.timezone'],
      [{ kind: 'backup', cron: '0 3 * * *', window: { start: '02:00', end: '02:00' } }, 'schedules.0.window.end'],
    ] as const) {
      const r = await refusal(updatePolicy(ctx, p.id, { paused: true, schedules: [schedule] }));
      expect(r.status).toBe(422);
      expect(r.paths).toContain(field);
    }
    const row = await db().policy.findUniqueOrThrow({ where: { id: p.id } });
    expect(row.paused).toBe(false);
    expect((row.schedules as { cron: string }[]).map((s) => s.cron)).toEqual(['0 3 * * 0']);
  });

  it('refuses a backup type the engine of a source using the policy does not offer, naming the engine', async () => {
    const p = await newPolicy({ schedules: [weekly] });
    const source = await db().source.create({ data: { name: uniqueName('pg'), kind: 'postgres', config: {}, policyId: p.id } });
    created.sources.push(source.id);
    const r = await refusal(
      updatePolicy(ctx, p.id, { schedules: [weekly, { kind: 'backup', backupType: 'incremental', cron: '0 * * * *' }] }),
    );
    expect(r.status).toBe(422);
    expect(r.paths).toEqual(['schedules.1.backupType']);
    expect(r.message).toBe('schedules.1.backupType: postgres (PostgreSQL) offers only full, not incremental');
    const row = await db().policy.findUniqueOrThrow({ where: { id: p.id } });
    expect((row.schedules as unknown[]).length).toBe(1);
    // Without a source the same schedules are accepted: the engine is checked when one attaches.
    const free = await newPolicy({ schedules: [{ kind: 'backup', backupType: 'incremental', cron: '0 * * * *' }] });
    expect(free.schedules[0]!.backupType).toBe('incremental');
  });

  it('refuses an empty edit, unknown fields, a primary that is also a copy, a viewer, an unknown policy', async () => {
    const p = await newPolicy({ copyDestinationIds: [otherDestinationId] });
    expect((await refusal(updatePolicy(ctx, p.id, {}))).status).toBe(422);
    expect((await refusal(updatePolicy(ctx, p.id, { retention: null }))).status).toBe(422);
    const clash = await refusal(updatePolicy(ctx, p.id, { destinationId: otherDestinationId }));
    expect(clash.paths).toEqual(['destinationId']);
    expect((await refusal(updatePolicy({ actor: viewer }, p.id, { paused: true }))).status).toBe(403);
    expect((await refusal(updatePolicy(ctx, '00000000-0000-4000-8000-000000000000', { paused: true }))).status).toBe(404);
    const taken = await newPolicy();
    expect((await refusal(updatePolicy(ctx, p.id, { name: taken.name }))).status).toBe(409);
  });
});

describe('delete', () => {
  it('is refused (409, naming how many) while sources use the policy, then deletes and audits', async () => {
    const p = await newPolicy({ copyDestinationIds: [otherDestinationId] });
    const sources = await Promise.all(
      [1, 2].map((i) => db().source.create({ data: { name: uniqueName(`user${i}`), kind: 'postgres', config: {}, policyId: p.id } })),
    );
    created.sources.push(...sources.map((s) => s.id));
    const r = await refusal(deletePolicy(ctx, p.id));
    expect(r.status).toBe(409);
    expect(r.message).toMatch(/used by 2 sources/);
    expect(await db().policy.count({ where: { id: p.id } })).toBe(1);

    await db().source.updateMany({ where: { policyId: p.id }, data: { policyId: null } });
    expect(await deletePolicy(ctx, p.id)).toMatchObject({ id: p.id, deleted: true });
    expect(await db().policy.count({ where: { id: p.id } })).toBe(0);
    expect(await db().auditEvent.count({ where: { targetId: p.id, action: 'policy.delete' } })).toBe(1);
    expect((await refusal(deletePolicy(ctx, p.id))).status).toBe(404);
  });
});
