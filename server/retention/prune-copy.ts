import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { RecoveryPointId } from './ids';
import { DRIVER_FIELDS, PRUNE_TRANSACTION, STORED_OBJECT_FIELDS, deleteStoredObjects, lockPointForPruning, scopedDestinationIds } from './prune-guards';

const DestinationId = z.string().uuid();

export interface PruneCopyOptions {
  /** Why the copy goes (the copy scope's reason), recorded in the audit event. */
  reason: string;
}

export interface PruneCopyResult {
  pointId: string;
  destinationId: string;
  location: string;
  /** True when this was the point's last good object (primary already pruned): the point row went with it. */
  pointDeleted: boolean;
}

/**
 * Deletes one copy of a recovery point (every object of the point on that destination and the manifest, then its
 * RecoveryPointCopy row) because the retention of the copy's destination says so. When the point's primary was
 * pruned before and this was its last OK copy, the point row goes too, with any pending or failed copies (they had
 * nothing left to copy from).
 *
 * Refuses with INVALID_STATE: a held, locked or read point, a copy job in flight, no OK copy on that destination,
 * a destination that no longer has its own retention (its copies follow the point again), or the newest verified
 * point among that destination's OK copies (each scope keeps its own newest verified object).
 *
 * The objects go first, inside the transaction holding the row lock, and are recorded as deleted only once gone.
 * It therefore refuses a caller's transaction (`ctx.tx`): the objects would be gone before that transaction commits
 * (a delete cannot wait for a commit it must precede), and a caller rolling back afterwards would leave the point
 * recorded with objects it no longer has.
 */
export async function pruneCopy(ctx: VerbContext, rawPointId: unknown, rawDestinationId: unknown, opts: PruneCopyOptions): Promise<PruneCopyResult> {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const destinationId = DestinationId.safeParse(rawDestinationId);
  if (!destinationId.success) throw notFound('destination', String(rawDestinationId));
  if (ctx.tx) throw new DomainError('INVALID_STATE', 'a partial prune deletes objects before it records the change, so it runs in its own transaction');

  return withTransaction(ctx, async (tx) => {
    const locked = await lockPointForPruning(tx, id.data);
    const point = await tx.recoveryPoint.findUniqueOrThrow({
      where: { id: locked.id },
      select: {
        ...STORED_OBJECT_FIELDS,
        id: true,
        sourceId: true,
        runId: true,
        destinationId: true,
        copies: { select: { id: true, destinationId: true, status: true, location: true, destination: { select: DRIVER_FIELDS } } },
      },
    });
    const copy = point.copies.find((c) => c.destinationId === destinationId.data);
    if (!copy || copy.status !== 'COPY_OK') {
      throw new DomainError('INVALID_STATE', `recovery point ${point.id} has no OK copy on destination ${destinationId.data}`);
    }
    if (!(await scopedDestinationIds(tx, point.sourceId)).has(copy.destinationId)) {
      throw new DomainError('INVALID_STATE', `destination "${copy.destination.name}" has no retention of its own any more; its copy follows the point`);
    }
    const newestVerified = await tx.recoveryPoint.findFirst({
      where: { sourceId: point.sourceId, verifiedAt: { not: null }, copies: { some: { destinationId: copy.destinationId, status: 'COPY_OK' } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    if (newestVerified?.id === point.id) {
      throw new DomainError(
        'INVALID_STATE',
        `recovery point ${point.id} is the newest verified backup on destination "${copy.destination.name}"; its copy is kept until a newer one is verified`,
      );
    }

    // The point's last good object: the primary is gone and no other OK copy remains. Then the point goes whole,
    // which the source's newest verified point never may (deleteRecoveryPoint's rule).
    const others = point.copies.filter((c) => c.id !== copy.id);
    const lastObject = locked.primaryDeletedAt !== null && !others.some((c) => c.status === 'COPY_OK');
    if (lastObject) {
      const sourceNewest = await tx.recoveryPoint.findFirst({
        where: { sourceId: point.sourceId, verifiedAt: { not: null } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        select: { id: true },
      });
      if (sourceNewest?.id === point.id) {
        throw new DomainError('INVALID_STATE', `recovery point ${point.id} is the newest verified backup of its source and this is its last copy; it is kept`);
      }
    }

    // Storage first: nothing is recorded as deleted before it is. A failure here rolls the transaction back.
    await deleteStoredObjects(copy.destination, point, { role: 'copy', location: copy.location });
    // Pending or failed copies of a point that goes may have left partial objects behind.
    if (lastObject) for (const c of others) await deleteStoredObjects(c.destination, point, { role: 'copy', location: c.location });

    await tx.recoveryPointCopy.delete({ where: { id: copy.id } });
    await recordAudit(tx, actor, {
      action: 'recovery-point.copy-pruned',
      targetType: 'recovery-point',
      targetId: point.id,
      details: { sourceId: point.sourceId, copyId: copy.id, destinationId: copy.destinationId, location: copy.location, status: copy.status, reason: opts.reason },
    });
    if (lastObject) {
      // Finished restores/verifies keep their history (params) but no longer point at a row that is going away.
      await tx.run.updateMany({ where: { inputPointId: point.id }, data: { inputPointId: null } });
      await tx.recoveryPoint.delete({ where: { id: point.id } });
      await recordAudit(tx, actor, {
        action: 'recovery-point.delete',
        targetType: 'recovery-point',
        targetId: point.id,
        details: {
          sourceId: point.sourceId,
          runId: point.runId,
          destinationId: point.destinationId,
          location: point.location,
          sha256: point.sha256,
          sizeBytes: Number(point.sizeBytes),
          primaryDeletedAt: locked.primaryDeletedAt?.toISOString() ?? null,
          reason: `last copy pruned: ${opts.reason}`,
        },
      });
    }
    return { pointId: point.id, destinationId: copy.destinationId, location: copy.location, pointDeleted: lastObject };
  }, PRUNE_TRANSACTION);
}
