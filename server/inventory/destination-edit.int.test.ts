import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { destinationSecretContext } from '@/server/storage/for-destination';
import { uniqueName } from '@/server/testing/pg';
import { createDestination } from './create-destination';
import { listDestinations } from './list-destinations';
import { updateDestination } from './update-destination';

// Issue 8, item 6: the Destinations page lists each destination's used space, its points and the policies using it,
// and an admin can edit one (PATCH /destinations/{id} answered 405 before) without orphaning stored objects.

const admin: Actor = { type: 'system', id: null, label: 'destination edit test admin', role: 'ADMIN' };
const operator: Actor = { type: 'system', id: null, label: 'destination edit test operator', role: 'OPERATOR' };
const viewer: Actor = { type: 'system', id: null, label: 'destination edit test viewer', role: 'VIEWER' };

let tmp: string;
const destinationIds: string[] = [];
const sourceIds: string[] = [];
const policyIds: string[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-destination-edit-test-'));
});

afterAll(async () => {
  await db().recoveryPointCopy.deleteMany({ where: { destinationId: { in: destinationIds } } });
  await db().recoveryPoint.deleteMany({ where: { sourceId: { in: sourceIds } } });
  await db().run.deleteMany({ where: { sourceId: { in: sourceIds } } });
  await db().source.deleteMany({ where: { id: { in: sourceIds } } });
  await db().policy.deleteMany({ where: { id: { in: policyIds } } });
  await db().destination.deleteMany({ where: { id: { in: destinationIds } } });
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
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

async function localDestination() {
  const dir = fs.mkdtempSync(path.join(tmp, 'd-'));
  const dto = await createDestination({ actor: admin }, { name: uniqueName('dest'), kind: 'local', config: { path: dir } });
  destinationIds.push(dto.id);
  return dto;
}

async function s3Destination(secrets = true) {
  const dto = await createDestination(
    { actor: admin },
    {
      name: uniqueName('dest'),
      kind: 's3',
      config: {
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        bucket: 'lifeboat-edit-test',
        forcePathStyle: true,
        ...(secrets ? { accessKeyId: 'AKIAOLD', secretAccessKey: 'old-secret' } : {}),
      },
    },
  );
  destinationIds.push(dto.id);
  return dto;
}

async function source() {
  const row = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {} } });
  sourceIds.push(row.id);
  return row;
}

/** A point of `size` bytes on `destinationId` (catalog rows only: nothing here reads the objects). */
async function addPoint(sourceId: string, destinationId: string, size: number, over: { primaryDeletedAt?: Date } = {}) {
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId, startedAt: new Date(), finishedAt: new Date() } });
  return db().recoveryPoint.create({
    data: {
      sourceId,
      runId: run.id,
      destinationId,
      engine: 'postgres',
      location: `x/${run.id}`,
      sizeBytes: size,
      sha256: crypto.randomBytes(32).toString('hex'),
      manifest: {},
      ...over,
    },
  });
}

describe('listDestinations: used space, points and policies', () => {
  it('sums the stored points and COPY_OK copies on each destination, and names the policies using it', async () => {
    const primary = await localDestination();
    const copy = await localDestination();
    const empty = await localDestination();
    const s = await source();
    const p1 = await addPoint(s.id, primary.id, 1000);
    await addPoint(s.id, primary.id, 500);
    // A point whose primary object retention deleted is no longer on the primary destination.
    await addPoint(s.id, primary.id, 7000, { primaryDeletedAt: new Date() });
    await db().recoveryPointCopy.create({ data: { recoveryPointId: p1.id, destinationId: copy.id, location: p1.location, status: 'COPY_OK', sizeBytes: 1000 } });
    await db().recoveryPointCopy.create({ data: { recoveryPointId: p1.id, destinationId: empty.id, location: p1.location, status: 'COPY_FAILED' } });
    const policy = await db().policy.create({
      data: { name: uniqueName('pol'), destinationId: primary.id, copies: { create: [{ destinationId: copy.id, position: 0 }] } },
    });
    policyIds.push(policy.id);

    const list = await listDestinations({ actor: viewer });
    const byId = new Map(list.map((d) => [d.id, d]));
    expect(byId.get(primary.id)).toMatchObject({ usedBytes: 1500, pointCount: 2, policies: [{ id: policy.id, name: policy.name, role: 'primary' }] });
    expect(byId.get(copy.id)).toMatchObject({ usedBytes: 1000, pointCount: 1, policies: [{ id: policy.id, name: policy.name, role: 'copy' }] });
    expect(byId.get(empty.id)).toMatchObject({ usedBytes: 0, pointCount: 0, policies: [] });
  });
});

describe('updateDestination', () => {
  it('is an admin duty: operators and viewers are refused (403), with a message for people', async () => {
    const d = await localDestination();
    expect(await refusal(updateDestination({ actor: operator }, d.id, { name: 'x' }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const r = await refusal(updateDestination({ actor: viewer }, d.id, { offsite: true }));
    expect(r).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(r.message).toBe('A viewer may not change destinations');
  });

  it('renames, flags and audits (destination.update with what changed)', async () => {
    const d = await localDestination();
    const name = uniqueName('renamed');
    const updated = await updateDestination({ actor: admin }, d.id, { name, offsite: true, immutable: true });
    expect(updated).toMatchObject({ id: d.id, name, offsite: true, immutable: true, kindLabel: 'local disk' });
    const audit = await db().auditEvent.findFirst({ where: { action: 'destination.update', targetId: d.id } });
    expect(audit?.details).toMatchObject({ changes: { name: { from: d.name, to: name }, offsite: { from: false, to: true } } });
  });

  it('moves an empty local destination, re-validated with the placement rules (422 config.path)', async () => {
    const d = await localDestination();
    const moved = fs.mkdtempSync(path.join(tmp, 'moved-'));
    expect((await updateDestination({ actor: admin }, d.id, { config: { path: moved } })).config).toEqual({ path: moved });
    const r = await refusal(updateDestination({ actor: admin }, d.id, { config: { path: '/etc/lifeboat' } }));
    expect(r).toMatchObject({ status: 422, code: 'VALIDATION', fields: ['config.path'] });
    expect((await db().destination.findUniqueOrThrow({ where: { id: d.id } })).config).toEqual({ path: moved });
  });

  it('refuses (409) to move a destination that holds points: its objects would be orphaned', async () => {
    const d = await localDestination();
    const s = await source();
    await addPoint(s.id, d.id, 10);
    const r = await refusal(updateDestination({ actor: admin }, d.id, { config: { path: fs.mkdtempSync(path.join(tmp, 'x-')) } }));
    expect(r).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(r.message).toMatch(/1 recovery point/);
    // The flags may still change.
    expect(await updateDestination({ actor: admin }, d.id, { offsite: true })).toMatchObject({ offsite: true });
  });

  it('refuses (409) a new bucket for an S3 destination that holds a copy', async () => {
    const d = await s3Destination();
    const other = await localDestination();
    const s = await source();
    const p = await addPoint(s.id, other.id, 10);
    await db().recoveryPointCopy.create({ data: { recoveryPointId: p.id, destinationId: d.id, location: p.location, status: 'COPY_OK', sizeBytes: 10 } });
    expect(await refusal(updateDestination({ actor: admin }, d.id, { config: { bucket: 'another-bucket' } }))).toMatchObject({ status: 409 });
    // Settings that do not say where the objects are may change.
    expect((await updateDestination({ actor: admin }, d.id, { config: { region: 'eu-west-1' } })).config).toMatchObject({ region: 'eu-west-1', bucket: 'lifeboat-edit-test' });
  });

  it('keeps the sealed credentials unless new ones are given, and never returns them', async () => {
    const d = await s3Destination();
    const kept = await updateDestination({ actor: admin }, d.id, { config: { region: 'eu-central-1' } });
    expect(kept).toMatchObject({ hasSecrets: true, secretKeys: ['accessKeyId', 'secretAccessKey'] });
    expect(JSON.stringify(kept)).not.toContain('old-secret');
    let row = await db().destination.findUniqueOrThrow({ where: { id: d.id } });
    expect(openSecret(row.secrets!, destinationSecretContext(d.id))).toEqual({ accessKeyId: 'AKIAOLD', secretAccessKey: 'old-secret' });

    // Removing one without the other is refused by the kind's schema, and nothing changes.
    expect(await refusal(updateDestination({ actor: admin }, d.id, { config: { accessKeyId: null } }))).toMatchObject({ status: 422, fields: ['config.accessKeyId'] });

    const replaced = await updateDestination({ actor: admin }, d.id, { config: { accessKeyId: 'AKIANEW', secretAccessKey: 'new-secret' } });
    expect(JSON.stringify(replaced)).not.toContain('new-secret');
    row = await db().destination.findUniqueOrThrow({ where: { id: d.id } });
    expect(openSecret(row.secrets!, destinationSecretContext(d.id))).toEqual({ accessKeyId: 'AKIANEW', secretAccessKey: 'new-secret' });
    const audit = await db().auditEvent.findFirst({ where: { action: 'destination.update', targetId: d.id }, orderBy: { id: 'desc' } });
    expect(JSON.stringify(audit?.details)).not.toContain('new-secret');
    expect(audit?.details).toMatchObject({ secretsReplaced: ['accessKeyId', 'secretAccessKey'] });
  });

  it('refuses an unknown destination (404), an empty change and unknown fields (422)', async () => {
    expect(await refusal(updateDestination({ actor: admin }, '00000000-0000-4000-8000-000000000000', { name: 'x' }))).toMatchObject({ status: 404 });
    const d = await localDestination();
    expect(await refusal(updateDestination({ actor: admin }, d.id, {}))).toMatchObject({ status: 422 });
    expect(await refusal(updateDestination({ actor: admin }, d.id, { kind: 's3' }))).toMatchObject({ status: 422 });
  });
});
