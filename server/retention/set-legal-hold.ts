import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { Reason, RecoveryPointId } from './ids';

export const SetLegalHoldInput = z.strictObject({
  hold: z.boolean({ error: 'hold must be true or false' }),
  reason: Reason,
});
export type SetLegalHoldInput = z.infer<typeof SetLegalHoldInput>;

/**
 * Places or releases a legal hold. A held point is never deleted, by retention or by hand. A governance duty, so it
 * needs `restore:approve` (approvers and admins), not the operator's inventory rights.
 */
export async function setLegalHold(ctx: VerbContext, rawPointId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:approve');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const input = SetLegalHoldInput.parse(raw);

  return withTransaction(ctx, async (tx) => {
    const point = await tx.recoveryPoint.findUnique({ where: { id: id.data }, select: { id: true, sourceId: true, legalHold: true } });
    if (!point) throw notFound('recovery point', id.data);
    const updated = await tx.recoveryPoint.update({
      where: { id: point.id },
      data: { legalHold: input.hold },
      select: { id: true, legalHold: true, lockedUntil: true },
    });
    // Recorded even when nothing changes: a repeated hold with a new reason (another case) is worth keeping.
    await recordAudit(tx, actor, {
      action: input.hold ? 'recovery-point.hold' : 'recovery-point.release',
      targetType: 'recovery-point',
      targetId: point.id,
      details: { sourceId: point.sourceId, reason: input.reason, previous: point.legalHold },
    });
    return { id: updated.id, legalHold: updated.legalHold, lockedUntil: updated.lockedUntil?.toISOString() ?? null };
  });
}
