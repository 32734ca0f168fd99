import { recordAudit } from '@/server/audit/record-audit';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { objectName, objectsAt, type ObjectHolder } from '@/server/recovery-points/readable-objects';
import { driverForDestination } from '@/server/storage/for-destination';
import { RETENTION_ACTOR } from './ids';
import { STORED_OBJECT_FIELDS } from './prune-guards';

/**
 * What happened to a point's stored objects on one destination (the primary's, or one copy's): `moved` once every
 * object of the point moved there, `failed` if any did not (`error` names it; the class is then not recorded, so the
 * next prune moves them again).
 */
export interface ObjectTransition {
  destinationId: string;
  copy: boolean;
  /** `skipped`: the destination's driver has no storage classes (local disk), or the object is already there. */
  outcome: 'moved' | 'skipped' | 'failed';
  error?: string;
  /** How many objects were moved there, for a point holding several. */
  objects?: number;
}

export interface PointTransition {
  id: string;
  /** The scope: null for the primary (with the copies that follow it), else the copy destination with own retention. */
  destinationId: string | null;
  toStorageClass: string;
  objects: ObjectTransition[];
}

/** One planned move: `destinationId` null (or absent) is the primary scope's, otherwise that copy scope's. */
export interface PlannedTransition {
  id: string;
  destinationId?: string | null;
  toStorageClass: string;
}

/**
 * Moves each planned object to its new storage class, then records the class reached and audits
 * `recovery-point.transition`. A primary-scope move (the policy's tiers) moves the primary's objects (every object of
 * the point, `pointObjects`), unless retention already pruned it, and those of every OK copy that follows it, i.e.
 * whose destination is not in `scopedDestinations`; a copy-scope move (that destination's own tiers) moves only that
 * destination's copy. Destinations whose driver has no storage classes (local disk) are skipped.
 * Only the objects move, never the manifest: it is tiny (IA and Glacier bill a 128 KiB minimum) and is read to list and
 * plan restores, so it stays hot. Failures are logged and reported, never thrown, and nothing is ever deleted.
 */
export async function applyTransitions(
  transitions: readonly PlannedTransition[],
  scopedDestinations: ReadonlySet<string> = new Set(),
): Promise<PointTransition[]> {
  const results: PointTransition[] = [];
  for (const t of transitions) {
    const destinationId = t.destinationId ?? null;
    try {
      const done = await applyOne(t.id, destinationId, t.toStorageClass, scopedDestinations);
      if (done) results.push(done);
    } catch (e) {
      logger.error({ err: e, pointId: t.id, destinationId, toStorageClass: t.toStorageClass }, 'retention: storage class transition failed');
      results.push({
        id: t.id,
        destinationId,
        toStorageClass: t.toStorageClass,
        objects: [{ destinationId: destinationId ?? '', copy: destinationId !== null, outcome: 'failed', error: String(e) }],
      });
    }
  }
  return results;
}

async function applyOne(
  pointId: string,
  scope: string | null,
  toStorageClass: string,
  scopedDestinations: ReadonlySet<string>,
): Promise<PointTransition | null> {
  const destination = { select: { id: true, kind: true, config: true, secrets: true } } as const;
  const point = await db().recoveryPoint.findUnique({
    where: { id: pointId },
    select: {
      id: true,
      sourceId: true,
      ...STORED_OBJECT_FIELDS,
      storageClass: true,
      primaryDeletedAt: true,
      destination,
      copies: { where: { status: 'COPY_OK' }, orderBy: [{ position: 'asc' }, { id: 'asc' }], select: { id: true, destinationId: true, location: true, storageClass: true, destination } },
    },
  });
  // Deleted since planning (by hand, or by this very prune): nothing left to move.
  if (!point) return null;
  // A copy scope moves its own copy only; the primary scope moves the primary and the copies that follow it.
  const copies = point.copies.filter((c) => (scope === null ? !scopedDestinations.has(c.destinationId) : c.destinationId === scope));
  const withPrimary = scope === null && point.primaryDeletedAt === null;
  if (!withPrimary && copies.length === 0) return null;

  const objects: ObjectTransition[] = [];
  const move = async (dest: typeof point.destination, holder: ObjectHolder, current: string | null, copy: boolean): Promise<boolean> => {
    // Already there: re-sending the copy would only cost a request (and reset S3's lifecycle clock).
    if (current === toStorageClass) return false;
    const stored = objectsAt(point, holder);
    const several = stored.length > 1;
    try {
      const driver = driverForDestination(dest);
      if (!driver.setStorageClass) {
        objects.push({ destinationId: dest.id, copy, outcome: 'skipped' });
        return false;
      }
      // Every object, even after one failed: each move stands alone, and the next prune retries the destination whole.
      const failures: string[] = [];
      for (const object of stored) {
        try {
          await driver.setStorageClass(object.location, toStorageClass);
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          logger.warn({ pointId, destinationId: dest.id, key: object.location, toStorageClass, err: error }, 'retention: could not move object to storage class');
          failures.push(several ? `${objectName(object)}: ${error}` : error);
        }
      }
      if (failures.length > 0) {
        objects.push({ destinationId: dest.id, copy, outcome: 'failed', error: failures.join('; ') });
        return false;
      }
      objects.push({ destinationId: dest.id, copy, outcome: 'moved', ...(several ? { objects: stored.length } : {}) });
      return true;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      logger.warn({ pointId, destinationId: dest.id, toStorageClass, err: error }, 'retention: could not move objects to storage class');
      objects.push({ destinationId: dest.id, copy, outcome: 'failed', error });
      return false;
    }
  };

  const primaryMoved = withPrimary && (await move(point.destination, { role: 'primary' }, point.storageClass, false));
  const copiesMoved: string[] = [];
  for (const c of copies) if (await move(c.destination, { role: 'copy', location: c.location }, c.storageClass, true)) copiesMoved.push(c.id);

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
        details: {
          sourceId: point.sourceId,
          scope: scope ?? 'primary',
          from: scope === null ? point.storageClass : (copies[0]?.storageClass ?? null),
          toStorageClass,
          objects: objects.map((o) => ({ ...o })),
        },
      });
    });
  }
  return { id: point.id, destinationId: scope, toStorageClass, objects };
}
