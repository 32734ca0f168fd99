import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { afterCommit, readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { driverForDestination } from '@/server/storage/for-destination';
import { storedKeysAt } from '@/server/recovery-points/readable-objects';
import { RecoveryPointId } from './ids';
import { STORED_OBJECT_FIELDS, assertNotBeingRead, assertNotHeldOrLocked } from './prune-guards';

export interface DeleteRecoveryPointOptions {
  /** Why the point goes, recorded in the audit event (the planner's reason when retention deletes it). */
  reason?: string;
  /**
   * The whole source goes with it (`deleteSource`): its newest verified point no longer protects anything, so that
   * rule is waived. Holds, locks and readers still refuse.
   */
  withSource?: boolean;
}

export interface DeleteRecoveryPointResult {
  id: string;
  location: string;
  /**
   * False when the row is gone but removing the stored objects failed: they are orphans now, logged for cleanup. In a
   * caller's transaction the objects go at its commit, and this is set then (false until it has committed).
   */
  objectsDeleted: boolean;
}

interface PointState {
  id: string;
  sourceId: string;
  legalHold: boolean;
  lockedUntil: Date | null;
}

/**
 * The one way a recovery point is deleted, by hand (`DELETE /recovery-points/{id}`) or by retention. Refuses with
 * INVALID_STATE (409) while the point is under legal hold, locked, the source's newest verified point, read by a
 * queued or running restore/verify, or being copied (a copy job holds a live lease). Otherwise deletes the row with
 * its audit event in one transaction, then, once it has committed (a caller's transaction: at its commit), the stored
 * objects: every object of the point (`pointObjects`) and its manifest, on the primary and on every copy.
 */
export async function deleteRecoveryPoint(
  ctx: VerbContext,
  rawPointId: unknown,
  opts: DeleteRecoveryPointOptions = {},
): Promise<DeleteRecoveryPointResult> {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const reason = opts.reason ?? `deleted by ${actor.label}`;

  // Checked once up front for a clear answer without taking locks, and again below with the row locked.
  // The objects are read here, before the row (and its object rows, by cascade) goes: they are what is deleted after.
  const before = await readerOf(ctx).recoveryPoint.findUnique({
    where: { id: id.data },
    select: {
      ...STORED_OBJECT_FIELDS,
      id: true,
      sourceId: true,
      legalHold: true,
      lockedUntil: true,
      destination: { select: { id: true, kind: true, config: true, secrets: true } },
      copies: { select: { location: true, destination: { select: { id: true, kind: true, config: true, secrets: true } } } },
    },
  });
  if (!before) throw notFound('recovery point', id.data);
  await assertDeletable(readerOf(ctx), before, opts);

  const deleted = await withTransaction(ctx, async (tx) => {
    // Lock the row: a hold or lock placed concurrently either commits first (and we see it here) or waits for us.
    const rows = await tx.$queryRaw<PointState[]>`
      SELECT id, "sourceId", "legalHold", "lockedUntil" FROM "RecoveryPoint" WHERE id = ${id.data}::uuid FOR UPDATE`;
    const point = rows[0];
    if (!point) throw notFound('recovery point', id.data);
    await assertDeletable(tx, point, opts);

    // Finished restores/verifies keep their history (params) but no longer point at a row that is going away.
    await tx.run.updateMany({ where: { inputPointId: point.id }, data: { inputPointId: null } });
    const row = await tx.recoveryPoint.delete({
      where: { id: point.id },
      select: { id: true, sourceId: true, location: true, sha256: true, sizeBytes: true, destinationId: true, runId: true },
    });
    await recordAudit(tx, actor, {
      action: 'recovery-point.delete',
      targetType: 'recovery-point',
      targetId: row.id,
      details: {
        sourceId: row.sourceId,
        runId: row.runId,
        destinationId: row.destinationId,
        location: row.location,
        sha256: row.sha256,
        sizeBytes: Number(row.sizeBytes),
        // A point of several objects: every key that goes (location/sha256 above are the first object's).
        ...(before.objects.length > 1 ? { objects: before.objects.map((o) => ({ role: o.role, key: o.key, sha256: o.sha256 })) } : {}),
        reason,
      },
    });
    return row;
  });

  // Objects go only after the commit. A crash (or a storage error) between the two leaves an orphan object that a
  // later sweep can find by listing the source prefix; the reverse order could leave a committed row pointing at
  // nothing, a "recovery point" that cannot recover anything. Deletes are idempotent, so a retry is always safe.
  const result: DeleteRecoveryPointResult = { id: deleted.id, location: deleted.location, objectsDeleted: false };
  await afterCommit(ctx, async () => {
    // Every object of the point and its manifest, on the primary and on every copy (same keys on their destinations;
    // the copy rows went with the point, by cascade). Pending and failed copies too: they may hold partial objects.
    const keys = storedKeysAt(before, { role: 'primary' });
    try {
      const driver = driverForDestination(before.destination);
      for (const key of keys) await driver.delete(key);
      for (const copy of before.copies) {
        const copyDriver = driverForDestination(copy.destination);
        for (const key of storedKeysAt(before, { role: 'copy', location: copy.location })) await copyDriver.delete(key);
      }
      result.objectsDeleted = true;
    } catch (e) {
      logger.error({ err: e, pointId: deleted.id, keys }, 'recovery point deleted but its objects were not; they are orphans now');
    }
  });
  return result;
}

async function assertDeletable(tx: Tx, point: PointState, opts: DeleteRecoveryPointOptions): Promise<void> {
  assertNotHeldOrLocked(point);
  if (opts.withSource) {
    await assertNotBeingRead(tx, point.id);
    return;
  }
  // Same order as the planner (newestFirst): the later createdAt, then the greater id.
  const newestVerified = await tx.recoveryPoint.findFirst({
    where: { sourceId: point.sourceId, verifiedAt: { not: null } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  if (newestVerified?.id === point.id) {
    throw new DomainError(
      'INVALID_STATE',
      `recovery point ${point.id} is the newest verified backup of its source; it is kept until a newer one is verified`,
    );
  }
  // The same check as the partial prunes: a restore/verify reading it, or a copy job in flight.
  await assertNotBeingRead(tx, point.id);
}
