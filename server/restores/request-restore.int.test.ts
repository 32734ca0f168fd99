/**
 * Defect 9: a restore target is checked when the request is made, not only by the worker. An existing database,
 * `postgres`, `template0`/`template1` and names with control characters are refused at once; a new name queues a run.
 * The checks come from the engine (its restore target schema and its `checkRestoreTarget` hook).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { isDomainError } from '@/server/shared/errors';
import { connectionParts, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { requestRestore } from './request-restore';
import { unusedDestinationPath } from '@/server/testing/paths';

// This file's own queue: nothing consumes it, so the queued run stays queued.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-restore-request');

const operator: Actor = { type: 'system', id: null, label: 'restore request test', role: 'OPERATOR' };
const sourceDb = uniqueName('lbt_rr_src');
let pointId: string;

beforeAll(async () => {
  await createDatabase(sourceDb, 'CREATE TABLE t (id int)');
  const pgc = connectionParts();
  const source = await createSource({ actor: operator }, {
    kind: 'postgres',
    name: uniqueName('rr-src'),
    config: { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    testConnection: false,
  });
  const destination = await db().destination.create({ data: { name: uniqueName('rr-dest'), kind: 'local', config: { path: unusedDestinationPath() } } });
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: source.id, destinationId: destination.id } });
  const point = await db().recoveryPoint.create({
    data: {
      sourceId: source.id,
      runId: run.id,
      destinationId: destination.id,
      engine: source.kind,
      location: `sources/${source.id}/x/data.pgdump`,
      sizeBytes: 10n,
      sha256: crypto.createHash('sha256').update('x').digest('hex'),
      manifest: {},
    },
  });
  pointId = point.id;
});

afterAll(async () => {
  await dropDatabase(sourceDb);
  await closeProducer();
  await disconnectDb();
});

async function refusal(target: unknown): Promise<{ code: string; message: string }> {
  const err = await requestRestore({ actor: operator }, pointId, { target }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDomainError(err)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return { code: err.code, message: err.message };
}

describe('requestRestore checks the target at once (defect 9)', () => {
  it('refuses an existing database with CONFLICT (409), before any run is created', async () => {
    const before = await db().run.count({ where: { inputPointId: pointId } });
    expect(await refusal({ database: sourceDb })).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/exists/) });
    expect(await db().run.count({ where: { inputPointId: pointId } })).toBe(before);
  });

  it.each(['postgres', 'template0', 'template1'])('refuses the reserved database %s with VALIDATION (422)', async (name) => {
    expect(await refusal({ database: name })).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('target.database') });
  });

  it.each(['bad\u0000name', 'bad\nname', 'tab\there', 'bell\u0007', 'del\u007f'])('refuses a name with a control character (%j) with VALIDATION', async (name) => {
    expect(await refusal({ database: name })).toMatchObject({ code: 'VALIDATION' });
  });

  it('refuses a missing target and an unknown restore mode with VALIDATION', async () => {
    expect(await refusal({})).toMatchObject({ code: 'VALIDATION' });
    expect((await requestRestore({ actor: operator }, pointId, { target: { database: uniqueName('lbt_rr_new') }, mode: 'overwrite' }).catch((e: unknown) => e)) as object).toMatchObject({
      code: 'VALIDATION',
    });
  });

  it('names target.from when it names a database the point does not hold', async () => {
    const err = await requestRestore({ actor: operator }, pointId, { target: { database: uniqueName('lbt_rr_new'), from: 'nope' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION', message: `target.from: database "nope" is not in this backup; it holds "${sourceDb}"` });
    expect((err as { details?: { issues?: unknown } }).details?.issues).toEqual([
      { path: ['target', 'from'], message: `database "nope" is not in this backup; it holds "${sourceDb}"` },
    ]);
  });

  it('queues a run for a new name', async () => {
    const database = uniqueName('lbt_rr_new');
    const run = await requestRestore({ actor: operator }, pointId, { target: { database } });
    expect(run).toMatchObject({ kind: 'RESTORE', status: 'QUEUED', recoveryPointId: pointId });
    const row = await db().run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.params).toMatchObject({ target: { database }, mode: 'new' });
  });
});
