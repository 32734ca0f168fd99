import { recordAudit } from '@/server/audit/record-audit';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { driverForDestination } from '@/server/storage/for-destination';
import { RETENTION_ACTOR } from './ids';

/** What happened to one stored object of a point (the primary's, or one copy's). */
export interface ObjectTransition {
  destinationId: string;
  copy: boolean;
  /** `skipped`: the destination's driver has no storage classes (local disk), or the object is already there. */
  outcome: 'moved' | 'skipped' | 'failed';
  error?: string;
}

export interface PointTransition {
  id: string;
  toStorageClass: string;
  objects: ObjectTransition[];
}

/**
 * Moves each planned point's data object to its new storage class, on the primary destination and on every OK copy
 * whose driver supports storage classes, then records the class reached and audits `recovery-point.transition`.
 * Only the data object moves: the manifest is tiny (IA and Glacier bill a 128 KiB minimum) and is read to list and
 * plan restores, so it stays hot. Failures are logged and reported, never thrown, and nothing is ever deleted.
 */
export async function applyTransitions(transitions: ReadonlyArray<{ id: string; toStorageClass: string }>): Promise<PointTransition[]> {
  const results: PointTransition[] = [];
  for (const t of transitions) {
    try {
      const done = await applyOne(t.id, t.toStorageClass);
      if (done) results.push(done);
    } catch (e) {
      logger.error({ err: e, pointId: t.id, toStorageClass: t.toStorageClass }, 'retention: storage class transition failed');
      results.push({ id: t.id, toStorageClass: t.toStorageClass, objects: [{ destinationId: '', copy: false, outcome: 'failed', error: String(e) }] });
    }
  }
  return results;
}

async function applyOne(pointId: string, toStorageClass: string): Promise<PointTransition | null> {
  const destination = { select: { id: true, kind: true, config: true, secrets: true } } as const;
  const point = await db().recoveryPoint.findUnique({
    where: { id: pointId },
    select: {
      id: true,
      sourceId: true,
      location: true,
      storageClass: true,
      destination,
      copies: { where: { status: 'COPY_OK' }, select: { id: true, location: true, storageClass: true, destination } },
    },
  });
  // Deleted since planning (by hand, or by this very prune): nothing left to move.
  if (!point) return null;

  const objects: ObjectTransition[] = [];
  const move = async (dest: typeof point.destination, key: string, current: string | null, copy: boolean): Promise<boolean> => {
    // Already there: re-sending the copy would only cost a request (and reset S3's lifecycle clock).
    if (current === toStorageClass) return false;
    try {
      const driver = driverForDestination(dest);
      if (!driver.setStorageClass) {
        objects.push({ destinationId: dest.id, copy, outcome: 'skipped' });
        return false;
      }
      await driver.setStorageClass(key, toStorageClass);
      objects.push({ destinationId: dest.id, copy, outcome: 'moved' });
      return true;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      logger.warn({ pointId, destinationId: dest.id, key, toStorageClass, err: error }, 'retention: could not move object to storage class');
      objects.push({ destinationId: dest.id, copy, outcome: 'failed', error });
      return false;
    }
  };

  const primaryMoved = await move(point.destination, point.location, point.storageClass, false);
  const copiesMoved: string[] = [];
  for (const c of point.copies) if (await move(c.destination, c.location, c.storageClass, true)) copiesMoved.push(c.id);

  if (objects.some((o) => o.outcome !== 'skipped')) {
    await db().$transaction(async (tx) => {
      if (primaryMoved) await tx.recoveryPoint.update({ where: { id: point.id }, data: { storageClass: toStorageClass } });
      if (copiesMoved.length > 0) {
        await tx.recoveryPointCopy.updateMany({ where: { id: { in: copiesMoved } }, data: { storageClass: toStorageClass } });
      }
      await recordAudit(tx, RETENTION_ACTOR, {
        action: 'recovery-point.transition',
        targetType: 'recovery-point',
        targetId: point.id,
        details: { sourceId: point.sourceId, from: point.storageClass, toStorageClass, objects: objects.map((o) => ({ ...o })) },
      });
    });
  }
  return { id: point.id, toStorageClass, objects };
}
