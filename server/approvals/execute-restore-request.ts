import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { countingOf, loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { RestoreRequestId } from './inputs';
import { executeInTx, expireInTx, lockRequest, notOpen, REQUEST_TX, satisfiedNow } from './lifecycle';

/**
 * `POST /api/v1/restore-requests/{id}/execute`: runs an APPROVED request that did not run when its last approval
 * landed (its target check failed then). Anyone who may request restores (the requester, an operator, an admin).
 * The approvals are judged again against the approvers' current role and disabled flag: a request they no longer
 * satisfy goes back to PENDING_APPROVAL (audited `restore-request.reopen`) and the answer is 409 INVALID_STATE.
 */
export async function executeRestoreRequest(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  const outcome = await withTransaction(
    ctx,
    async (tx, inner) => {
      const row = await lockRequest(tx, id.data);
      if (await expireInTx(tx, actor, row)) return { refusal: new DomainError('EXPIRED', `restore request ${row.id} expired at ${row.expiresAt.toISOString()}; ask again`) };
      if (row.status !== 'APPROVED') throw notOpen(row, 'execute');
      if (!satisfiedNow(row)) {
        await tx.restoreRequest.update({ where: { id: row.id }, data: { status: 'PENDING_APPROVAL' } });
        await recordAudit(tx, actor, {
          action: 'restore-request.reopen',
          targetType: 'restore_request',
          targetId: row.id,
          details: { reason: 'approvals no longer satisfy the rule', counting: countingOf(row).length, required: row.requiredApprovals },
        });
        return {
          refusal: new DomainError(
            'INVALID_STATE',
            `restore request ${row.id}: its approvals no longer satisfy the rule (an approver was disabled or demoted); it waits for approval again`,
          ),
        };
      }
      await executeInTx({ ...inner, tx }, actor, row, { trigger: 'execute' });
      const final = await loadRequest(tx, row.id);
      return { dto: toRestoreRequestDto(final, await usersOf(tx, [final])) };
    },
    REQUEST_TX,
  );
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.dto;
}
