import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { RestoreRequestId } from './inputs';
import { expireInTx, isOpen, lockRequest, notOpen, REQUEST_TX } from './lifecycle';

/** `POST /api/v1/restore-requests/{id}/cancel`: the requester (also through their token) or an admin withdraws an open request. */
export async function cancelRestoreRequest(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'run:read');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  const outcome = await withTransaction(
    ctx,
    async (tx) => {
      const row = await lockRequest(tx, id.data);
      if (row.requesterId !== actor.userId && actor.role !== 'ADMIN') {
        throw new DomainError('FORBIDDEN', 'only the requester or an admin may cancel a restore request');
      }
      if (await expireInTx(tx, actor, row)) return { refusal: new DomainError('EXPIRED', `restore request ${row.id} already expired`) };
      if (!isOpen(row.status)) throw notOpen(row, 'cancel');
      await tx.restoreRequest.update({ where: { id: row.id }, data: { status: 'CANCELLED', closedAt: new Date() } });
      await recordAudit(tx, actor, { action: 'restore-request.cancel', targetType: 'restore_request', targetId: row.id, details: { from: row.status, version: row.version } });
      const final = await loadRequest(tx, row.id);
      return { dto: toRestoreRequestDto(final, await usersOf(tx, [final])) };
    },
    REQUEST_TX,
  );
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.dto;
}
