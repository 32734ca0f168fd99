import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { db } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { Reason, RecoveryPointId } from './ids';

export const LockRecoveryPointInput = z.strictObject({
  until: z.iso.datetime({ offset: true, error: 'until must be an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z' }).transform((s) => new Date(s)),
  reason: Reason,
});
export type LockRecoveryPointInput = z.input<typeof LockRecoveryPointInput>;

/**
 * Locks a recovery point against deletion until `until` (WORM semantics in the catalog). A lock can only ever be
 * extended: shortening it would make the lock worthless, since whoever may lock could then unlock.
 */
export async function lockRecoveryPoint(actor: Actor | null, rawPointId: unknown, raw: unknown) {
  authorize(actor, 'restore:approve');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const input = LockRecoveryPointInput.parse(raw);
  if (input.until.getTime() <= Date.now()) throw new DomainError('VALIDATION', 'until must be in the future');

  return db().$transaction(async (tx) => {
    const point = await tx.recoveryPoint.findUnique({ where: { id: id.data }, select: { id: true, sourceId: true, lockedUntil: true } });
    if (!point) throw notFound('recovery point', id.data);
    // Conditional update: a concurrent extension that commits first makes this one fail instead of shortening it.
    const { count } = await tx.recoveryPoint.updateMany({
      where: { id: point.id, OR: [{ lockedUntil: null }, { lockedUntil: { lte: input.until } }] },
      data: { lockedUntil: input.until },
    });
    if (count === 0) {
      const current = await tx.recoveryPoint.findUnique({ where: { id: point.id }, select: { lockedUntil: true } });
      throw new DomainError(
        'INVALID_STATE',
        `a retention lock can only be extended: the point is locked until ${current?.lockedUntil?.toISOString() ?? 'later'}`,
      );
    }
    await recordAudit(tx, actor, {
      action: 'recovery-point.lock',
      targetType: 'recovery-point',
      targetId: point.id,
      details: { sourceId: point.sourceId, until: input.until.toISOString(), previous: point.lockedUntil?.toISOString() ?? null, reason: input.reason },
    });
    return { id: point.id, lockedUntil: input.until.toISOString() };
  });
}
