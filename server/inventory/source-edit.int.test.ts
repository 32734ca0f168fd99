import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb } from '@/server/shared/db';
import { runArtifactKeys } from '@/server/storage/layout';
import { uniqueName } from '@/server/testing/pg';
import { deleteSource } from './delete-source';
import { getSource } from './get-source';
import { updateSource } from './update-source';

// Issue 8, item 6: a source's name, policy and service can be changed after creation (PATCH answered 405 before),
// and a source can be deleted: never with held or locked points, never under a queued/running run, and its points
// only when asked (keepPoints=false) with its name typed again.

const operator: Actor = { type: 'system', id: null, label: 'source edit test operator', role: 'OPERATOR' };
const viewer: Actor = { type: 'system', id: null, label: 'source edit test viewer', role: 'VIEWER' };
const MISSING = '00000000-0000-4000-8000-000000000000';

let backupsDir: string;
let destinationId: string;
const sourceIds: string[] = [];
const policyIds: string[] = [];
const serviceIds: string[] = [];

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-source-edit-test-'));
  destinationId = (await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } })).id;
});

afterAll(async () => {
  await db().recoveryPoint.deleteMany({ where: { sourceId: { in: sourceIds } } });
  await db().run.deleteMany({ where: { sourceId: { in: sourceIds } } });
  await db().source.deleteMany({ where: { id: { in: sourceIds } } });
  await db().service.deleteMany({ where: { id: { in: serviceIds } } });
  await db().policy.deleteMany({ where: { id: { in: policyIds } } });
  await db().destination.delete({ where: { id: destinationId } });
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

async function refusal(call: Promise<unknown>) {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('expected the call to be refused');
  const response = errorResponse(error);
  const body = (await response.json()) as { error: { code: string; message: string; details?: { issues?: Array<{ path: string[] }> } } };
  return { status: response.status, ...body.error, fields: (body.error.details?.issues ?? []).map((i) => i.path.join('.')) };
}

async function source() {
  const row = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {} } });
  sourceIds.push(row.id);
  return row;
}

async function policy(schedules: unknown[] = []) {
  const row = await db().policy.create({ data: { name: uniqueName('pol'), destinationId, schedules: schedules as object[] } });
  policyIds.push(row.id);
  return row;
}

async function service() {
  const row = await db().service.create({ data: { name: uniqueName('svc') } });
  serviceIds.push(row.id);
  return row;
}

/** A recovery point with real data and manifest files on the local destination. */
async function addPoint(sourceId: string, over: { legalHold?: boolean; lockedUntil?: Date; verifiedAt?: Date } = {}) {
  const createdAt = new Date();
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId, startedAt: createdAt, finishedAt: createdAt } });
  const keys = runArtifactKeys({ sourceId, runId: run.id, startedAt: createdAt }, 'pgdump');
  const bytes = crypto.randomBytes(64);
  fs.mkdirSync(path.join(backupsDir, keys.prefix), { recursive: true });
  fs.writeFileSync(path.join(backupsDir, keys.data), bytes);
  fs.writeFileSync(path.join(backupsDir, keys.manifest), '{}');
  const point = await db().recoveryPoint.create({
    data: {
      sourceId,
      runId: run.id,
      destinationId,
      engine: 'postgres',
      location: keys.data,
      sizeBytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      manifest: {},
      ...over,
    },
  });
  return { id: point.id, files: [path.join(backupsDir, keys.data), path.join(backupsDir, keys.manifest)] };
}

const audit = (action: string, targetId: string) =>
  db().auditEvent.findFirst({ where: { action, targetId }, orderBy: { id: 'desc' } });

describe('updateSource', () => {
  it('renames, sets a policy and a service, and null detaches both; audited with before/after', async () => {
    const s = await source();
    const p = await policy();
    const svc = await service();
    const newName = uniqueName('renamed');
    const updated = await updateSource({ actor: operator }, s.id, { name: newName, policyId: p.id, serviceId: svc.id });
    expect(updated).toMatchObject({ id: s.id, name: newName, policyId: p.id, serviceId: svc.id, service: { id: svc.id, name: svc.name } });
    expect((await getSource({ actor: viewer }, s.id)).service).toEqual({ id: svc.id, name: svc.name });
    expect((await audit('source.update', s.id))?.details).toMatchObject({
      changes: { name: { from: s.name, to: newName }, policyId: { from: null, to: p.id }, serviceId: { from: null, to: svc.id } },
    });

    const detached = await updateSource({ actor: operator }, s.id, { policyId: null, serviceId: null });
    expect(detached).toMatchObject({ name: newName, policyId: null, serviceId: null, service: null });
  });

  it.each([
    [{ policyId: MISSING }, 'policyId'],
    [{ policyId: 'nope' }, 'policyId'],
    [{ serviceId: MISSING }, 'serviceId'],
    [{ serviceId: 42 }, 'serviceId'],
    [{ name: '' }, 'name'],
    [{ name: '../etc' }, 'name'],
  ])('refuses %o with 422 naming %s, storing nothing', async (body, field) => {
    const s = await source();
    const r = await refusal(updateSource({ actor: operator }, s.id, body));
    expect(r).toMatchObject({ status: 422, code: 'VALIDATION' });
    expect(r.fields).toContain(field);
    expect(await db().source.findUnique({ where: { id: s.id }, select: { name: true, policyId: true, serviceId: true } })).toEqual({
      name: s.name,
      policyId: null,
      serviceId: null,
    });
    expect(await audit('source.update', s.id)).toBeNull();
  });

  it("refuses a policy scheduling a backup type the source's engine lacks, naming the engine", async () => {
    const s = await source();
    const p = await policy([{ id: 'hourly', kind: 'backup', backupType: 'incremental', cron: '0 * * * *', timezone: 'UTC' }]);
    const r = await refusal(updateSource({ actor: operator }, s.id, { policyId: p.id }));
    expect(r).toMatchObject({ status: 422, fields: ['policyId'] });
    expect(r.message).toMatch(/PostgreSQL/);
    expect(r.message).toMatch(/incremental/);
    expect((await db().source.findUnique({ where: { id: s.id } }))?.policyId).toBeNull();
    // A full backup schedule fits.
    const full = await policy([{ id: 'weekly', kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone: 'UTC' }]);
    expect((await updateSource({ actor: operator }, s.id, { policyId: full.id })).policyId).toBe(full.id);
  });

  it('refuses empty or unknown fields, a duplicate name (409), a viewer (403), a missing source (404)', async () => {
    const a = await source();
    const b = await source();
    expect((await refusal(updateSource({ actor: operator }, a.id, {}))).status).toBe(422);
    expect((await refusal(updateSource({ actor: operator }, a.id, { kind: 'redis' }))).status).toBe(422);
    expect((await refusal(updateSource({ actor: operator }, a.id, { name: b.name }))).status).toBe(409);
    expect((await refusal(updateSource({ actor: viewer }, a.id, { name: uniqueName('x') }))).status).toBe(403);
    expect((await refusal(updateSource({ actor: operator }, MISSING, { name: uniqueName('x') }))).status).toBe(404);
  });
});

describe('deleteSource', () => {
  it('deletes a source without points at once, audited', async () => {
    const s = await source();
    expect(await deleteSource({ actor: operator }, s.id)).toMatchObject({ id: s.id, pointsDeleted: [] });
    expect(await db().source.findUnique({ where: { id: s.id } })).toBeNull();
    expect((await audit('source.delete', s.id))?.details).toMatchObject({ name: s.name, pointsDeleted: [] });
  });

  it('refuses (409) while the source has points unless keepPoints=false, and then only with its name typed', async () => {
    const s = await source();
    const point = await addPoint(s.id);
    expect(await refusal(deleteSource({ actor: operator }, s.id))).toMatchObject({ status: 409, code: 'INVALID_STATE' });
    expect(await refusal(deleteSource({ actor: operator }, s.id, { keepPoints: 'true', confirm: s.name }))).toMatchObject({ status: 409 });
    expect(await refusal(deleteSource({ actor: operator }, s.id, { keepPoints: 'false' }))).toMatchObject({ status: 422, fields: ['confirm'] });
    expect(await refusal(deleteSource({ actor: operator }, s.id, { keepPoints: 'false', confirm: s.name.toUpperCase() }))).toMatchObject({
      status: 422,
      fields: ['confirm'],
    });
    expect(await refusal(deleteSource({ actor: operator }, s.id, { keepPoints: 'maybe', confirm: s.name }))).toMatchObject({
      status: 422,
      fields: ['keepPoints'],
    });
    expect(await db().recoveryPoint.count({ where: { sourceId: s.id } })).toBe(1);
    expect(point.files.every((f) => fs.existsSync(f))).toBe(true);
    expect(await audit('source.delete', s.id)).toBeNull();
  });

  it('never deletes a held or locked point: 409 naming them, and nothing of the source goes', async () => {
    const s = await source();
    const free = await addPoint(s.id);
    const held = await addPoint(s.id, { legalHold: true });
    const locked = await addPoint(s.id, { lockedUntil: new Date(Date.now() + 86_400_000) });
    const r = await refusal(deleteSource({ actor: operator }, s.id, { keepPoints: 'false', confirm: s.name }));
    expect(r).toMatchObject({ status: 409, code: 'INVALID_STATE' });
    expect(r.message).toContain(held.id);
    expect(r.message).toContain(locked.id);
    expect(r.message).not.toContain(free.id);
    expect(await db().recoveryPoint.count({ where: { sourceId: s.id } })).toBe(3);
    expect(await db().source.findUnique({ where: { id: s.id } })).not.toBeNull();
    expect([free, held, locked].every((p) => p.files.every((f) => fs.existsSync(f)))).toBe(true);
  });

  it('refuses while a run of the source is queued or running', async () => {
    const s = await source();
    const run = await db().run.create({ data: { kind: 'BACKUP', status: 'QUEUED', sourceId: s.id, destinationId } });
    const r = await refusal(deleteSource({ actor: operator }, s.id));
    expect(r).toMatchObject({ status: 409, code: 'INVALID_STATE' });
    expect(r.message).toContain(run.id);
    await db().run.update({ where: { id: run.id }, data: { status: 'CANCELLED', finishedAt: new Date() } });
    await deleteSource({ actor: operator }, s.id);
    expect(await db().run.count({ where: { id: run.id } })).toBe(0);
  });

  it('with keepPoints=false and the name typed, deletes every point (the newest verified too) through the one delete, then the source', async () => {
    const s = await source();
    const older = await addPoint(s.id, { verifiedAt: new Date() });
    const newest = await addPoint(s.id, { verifiedAt: new Date() });
    const result = await deleteSource({ actor: operator }, s.id, { keepPoints: 'false', confirm: s.name });
    expect(result.pointsDeleted.sort()).toEqual([older.id, newest.id].sort());
    expect(result.runsDeleted).toBe(2);
    expect(await db().source.findUnique({ where: { id: s.id } })).toBeNull();
    expect([older, newest].every((p) => p.files.every((f) => !fs.existsSync(f)))).toBe(true);
    // Each point's deletion is audited by deleteRecoveryPoint, with the reason.
    for (const p of [older, newest]) {
      expect(((await audit('recovery-point.delete', p.id))?.details as { reason: string }).reason).toContain(s.name);
    }
    expect((await audit('source.delete', s.id))?.details).toMatchObject({ pointsDeleted: expect.arrayContaining([older.id, newest.id]), runsDeleted: 2 });
  });

  it('refuses a viewer (403)', async () => {
    const s = await source();
    expect((await refusal(deleteSource({ actor: viewer }, s.id))).status).toBe(403);
  });
});
