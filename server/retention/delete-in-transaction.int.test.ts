import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { RUNS_QUEUE } from '@/server/jobs/contracts';
import { closeProducer } from '@/server/jobs/producer';
import { withTransaction } from '@/server/shared/context';
import { db, disconnectDb } from '@/server/shared/db';
import { redisConnection } from '@/server/shared/redis';
import { runArtifactKeys } from '@/server/storage/layout';
import { uniqueName } from '@/server/testing/pg';
import { deleteRecoveryPoint } from './delete-recovery-point';
import { requestPrune } from './request-prune';

// Issue 7, "verb context": the delete and "prune now" verbs join a caller's transaction; their work after commit
// (removing the stored objects, enqueueing the prune) waits for that commit and never follows a rollback.

// Own queue prefix: the prune jobs enqueued here are never taken by another file's worker.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-retention-tx');

const operator: Actor = { type: 'system', id: null, label: 'retention tx test operator', role: 'OPERATOR' };

let backupsDir: string;
let destinationId: string;
let sourceId: string;

beforeAll(async () => {
  backupsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-retention-tx-test-'));
  destinationId = (await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } })).id;
  sourceId = (await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {} } })).id;
});

afterAll(async () => {
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.delete({ where: { id: sourceId } });
  await db().destination.delete({ where: { id: destinationId } });
  await closeProducer();
  await disconnectDb();
  fs.rmSync(backupsDir, { recursive: true, force: true });
});

/** An unverified point (so deletable) with real data and manifest files. */
async function addPoint() {
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
    },
  });
  return { id: point.id, files: [path.join(backupsDir, keys.data), path.join(backupsDir, keys.manifest)] };
}

const exists = (files: string[]) => files.map((f) => fs.existsSync(f));
class Abort extends Error {}

describe('deleteRecoveryPoint in a caller transaction', () => {
  it('removes the objects only once the caller commits', async () => {
    const point = await addPoint();
    const result = await withTransaction({ actor: operator }, async (_tx, ctx) => {
      const deleted = await deleteRecoveryPoint(ctx, point.id, { reason: 'test' });
      // The row is gone in this transaction, but the objects wait: a rollback would need them.
      expect(exists(point.files)).toEqual([true, true]);
      expect(deleted.objectsDeleted).toBe(false);
      return deleted;
    });
    expect(result).toMatchObject({ id: point.id, objectsDeleted: true });
    expect(exists(point.files)).toEqual([false, false]);
    expect(await db().recoveryPoint.findUnique({ where: { id: point.id } })).toBeNull();
    expect(await db().auditEvent.count({ where: { action: 'recovery-point.delete', targetId: point.id } })).toBe(1);
  });

  it('keeps row, objects and no audit event when the caller rolls back', async () => {
    const point = await addPoint();
    const outcome = await withTransaction({ actor: operator }, async (_tx, ctx) => {
      await deleteRecoveryPoint(ctx, point.id, { reason: 'test' });
      throw new Abort('the caller fails after the delete');
    }).catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Abort);
    expect(exists(point.files)).toEqual([true, true]);
    expect(await db().recoveryPoint.findUnique({ where: { id: point.id }, select: { id: true } })).toEqual({ id: point.id });
    expect(await db().auditEvent.count({ where: { action: 'recovery-point.delete', targetId: point.id } })).toBe(0);
  });

  it('refuses a bare transaction, which cannot say when the objects may go', async () => {
    const point = await addPoint();
    const refused = await db()
      .$transaction((tx) => deleteRecoveryPoint({ actor: operator, tx }, point.id))
      .catch((e: unknown) => e);
    expect(String(refused)).toMatch(/withTransaction/);
    expect(exists(point.files)).toEqual([true, true]);
    expect(await db().recoveryPoint.findUnique({ where: { id: point.id }, select: { id: true } })).toEqual({ id: point.id });
  });
});

describe('requestPrune in a caller transaction', () => {
  it('enqueues only after the commit, and not at all after a rollback', async () => {
    const connection = redisConnection('producer');
    const queue = new Queue(RUNS_QUEUE, { connection, prefix: process.env.LIFEBOAT_QUEUE_PREFIX });
    const pruneJobs = async () => (await queue.getJobs(['waiting'])).filter((j) => j.name === 'retention.prune' && j.data.sourceId === sourceId);
    try {
      const rolledBack = await withTransaction({ actor: operator }, async (_tx, ctx) => {
        await requestPrune(ctx, sourceId);
        throw new Abort('the caller fails after the request');
      }).catch((e: unknown) => e);
      expect(rolledBack).toBeInstanceOf(Abort);
      expect(await pruneJobs()).toHaveLength(0);

      const requested = await withTransaction({ actor: operator }, async (_tx, ctx) => {
        const r = await requestPrune(ctx, sourceId);
        expect(await pruneJobs()).toHaveLength(0);
        expect(r.queued).toBe(false);
        return r;
      });
      expect(requested).toEqual({ sourceId, queued: true });
      expect(await pruneJobs()).toHaveLength(1);
      expect(await db().auditEvent.count({ where: { action: 'source.prune', targetId: sourceId } })).toBe(1);
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  });
});
