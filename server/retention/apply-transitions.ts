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
 * `recovery-point.transition`. A primary-scope move (the policy's tiers) moves the primary's data object, unless
 * retention already pruned it, and every OK copy that follows it, i.e. whose destination is not in
 * `scopedDestinations`; a copy-scope move (that destination's own tiers) moves only that destination's copy. Objects
 * whose driver has no storage classes (local disk) are skipped.
 * Only the data object moves: the manifest is tiny (IA and Glacier bill a 128 KiB minimum) and is read to list and
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
      location: true,
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

  const primaryMoved = withPrimary && (await move(point.destination, point.location, point.storageClass, false));
  const copiesMoved: string[] = [];
  for (const c of copies) if (await move(c.destination, c.location, c.storageClass, true)) copiesMoved.push(c.id);

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
