import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { RecoveryPointId } from './ids';
import { DRIVER_FIELDS, PRUNE_TRANSACTION, STORED_OBJECT_FIELDS, deleteStoredObjects, lockPointForPruning, scopedDestinationIds } from './prune-guards';

export interface PrunePrimaryOptions {
  /** Why the primary goes (the planner's reason), recorded in the audit event. */
  reason: string;
  /** The copy destinations whose own retention keeps the point: at least one must still hold an OK copy. */
  keptBy: readonly string[];
}

export interface PrunePrimaryResult {
  id: string;
  location: string;
  /** Copies without their own retention that went with the primary. */
  followers: Array<{ destinationId: string; location: string }>;
}

/**
 * Deletes a recovery point's primary objects (every object of the point, and the manifest) while copies with their
 * own retention keep the point, and with it the copies that have no retention of their own (they follow the
 * primary). Sets `primaryDeletedAt`; from then on the point is read from its OK copies only.
 *
 * Refuses with INVALID_STATE: a held, locked or read point, a copy job in flight, the newest verified point among
 * those whose primary still exists (the primary scope's own protection), or when no copy with its own retention
 * still holds the point (it would be left with nothing; the next prune plans it again, maybe as a whole deletion).
 *
 * Unlike a whole deletion, the objects go first, inside the transaction holding the row lock, and the change is
 * recorded only once they are gone: a storage failure rolls everything back and the next prune tries again.
 * It therefore refuses a caller's transaction (`ctx.tx`): the objects would be gone before that transaction commits
 * (a delete cannot wait for a commit it must precede), and a caller rolling back afterwards would leave the point
 * recorded with objects it no longer has.
 */
export async function prunePrimary(ctx: VerbContext, rawPointId: unknown, opts: PrunePrimaryOptions): Promise<PrunePrimaryResult> {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  if (ctx.tx) throw new DomainError('INVALID_STATE', 'a partial prune deletes objects before it records the change, so it runs in its own transaction');

  return withTransaction(ctx, async (tx) => {
    const locked = await lockPointForPruning(tx, id.data);
    if (locked.primaryDeletedAt) throw new DomainError('INVALID_STATE', `the primary object of recovery point ${locked.id} was already pruned`);
    const point = await tx.recoveryPoint.findUniqueOrThrow({
      where: { id: locked.id },
      select: {
        ...STORED_OBJECT_FIELDS,
        id: true,
        sourceId: true,
        destination: { select: DRIVER_FIELDS },
        copies: { select: { id: true, destinationId: true, status: true, location: true, destination: { select: DRIVER_FIELDS } } },
      },
    });

    // Same order as the planner (newestFirst): the primary scope keeps its own newest verified object.
    const newestVerified = await tx.recoveryPoint.findFirst({
      where: { sourceId: point.sourceId, verifiedAt: { not: null }, primaryDeletedAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true },
    });
    if (newestVerified?.id === point.id) {
      throw new DomainError('INVALID_STATE', `recovery point ${point.id} holds the newest verified primary object of its source; it is kept until a newer one is verified`);
    }

    // Read the scopes again: a destination whose retention was removed since planning no longer keeps anything.
    const scoped = await scopedDestinationIds(tx, point.sourceId);
    const keepers = point.copies.filter((c) => c.status === 'COPY_OK' && scoped.has(c.destinationId) && opts.keptBy.includes(c.destinationId));
    if (keepers.length === 0) {
      throw new DomainError('INVALID_STATE', `no copy with its own retention still keeps recovery point ${point.id}; its primary object stays`);
    }
    const followers = point.copies.filter((c) => !scoped.has(c.destinationId));

    // Storage first: nothing is recorded as deleted before it is. A failure rolls the transaction back; objects
    // deleted before it stay deleted (a delete cannot be undone) and the next prune deletes the rest. The primary
    // goes first: it is the object a refusing backend (an Object Lock still running) protects, so such a refusal
    // leaves the point untouched.
    await deleteStoredObjects(point.destination, point, { role: 'primary' });
    for (const f of followers) await deleteStoredObjects(f.destination, point, { role: 'copy', location: f.location });

    await tx.recoveryPoint.update({ where: { id: point.id }, data: { primaryDeletedAt: new Date() } });
    if (followers.length > 0) await tx.recoveryPointCopy.deleteMany({ where: { id: { in: followers.map((f) => f.id) } } });
    await recordAudit(tx, actor, {
      action: 'recovery-point.primary-pruned',
      targetType: 'recovery-point',
      targetId: point.id,
      details: {
        sourceId: point.sourceId,
        destinationId: point.destination.id,
        location: point.location,
        sha256: point.sha256,
        sizeBytes: Number(point.sizeBytes),
        keptBy: keepers.map((k) => k.destinationId),
        reason: opts.reason,
      },
    });
    for (const f of followers) {
      await recordAudit(tx, actor, {
        action: 'recovery-point.copy-pruned',
        targetType: 'recovery-point',
        targetId: point.id,
        details: {
          sourceId: point.sourceId,
          copyId: f.id,
          destinationId: f.destinationId,
          location: f.location,
          status: f.status,
          reason: `follows the primary (the destination has no retention of its own): ${opts.reason}`,
        },
      });
    }
    return { id: point.id, location: point.location, followers: followers.map((f) => ({ destinationId: f.destinationId, location: f.location })) };
  }, PRUNE_TRANSACTION);
}
