import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { countingOf, loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { BreakGlassInput, RestoreRequestId } from './inputs';
import { executePrepared, expireInTx, isOpen, lockRequest, notOpen, personOf, prepareExecution, REQUEST_TX } from './lifecycle';

/**
 * `POST /api/v1/restore-requests/{id}/break-glass` `{ reason }`: an admin runs an open request now, without the
 * approvals its rule asks for. Admins only (an operator or approver: 403), acting as a person whose account is an
 * enabled admin now; a reason of at least 15 characters (422). The request and its run are marked `breakGlass`,
 * audited `restore-request.break-glass` (and logged at warn), and stay flagged until an approver or another admin
 * acknowledges it (`POST …/acknowledge`). An expired, rejected or cancelled request cannot be forced: ask again.
 */
export async function breakGlassRestoreRequest(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  if (actor.role !== 'ADMIN') throw new DomainError('FORBIDDEN', 'only an admin may break glass');
  const adminId = personOf(actor, 'breaking glass');
  const input = BreakGlassInput.parse(raw);
  const outcome = await withTransaction(
    ctx,
    async (tx, inner) => {
      const admin = await tx.user.findUnique({ where: { id: adminId }, select: { role: true, disabled: true } });
      if (!admin || admin.disabled || admin.role !== 'ADMIN') throw new DomainError('FORBIDDEN', 'only an admin may break glass');
      const row = await lockRequest(tx, id.data);
      if (await expireInTx(tx, actor, row)) return { refusal: new DomainError('EXPIRED', `restore request ${row.id} expired at ${row.expiresAt.toISOString()}; ask again`) };
      if (!isOpen(row.status)) throw notOpen(row, 'break glass on');
      const prepared = await prepareExecution(tx, row);
      await tx.restoreRequest.update({ where: { id: row.id }, data: { breakGlass: true, breakGlassReason: input.reason, breakGlassById: adminId } });
      await recordAudit(tx, actor, {
        action: 'restore-request.break-glass',
        targetType: 'restore_request',
        targetId: row.id,
        details: {
          reason: input.reason,
          requester: row.requester.email,
          requiredApprovals: row.requiredApprovals,
          countingApprovals: countingOf(row).length,
          destructive: row.destructive,
          target: row.target,
          mode: row.mode,
        },
      });
      const flagged = await loadRequest(tx, row.id);
      const run = await executePrepared({ ...inner, tx }, actor, flagged, prepared, { trigger: 'break-glass' });
      const final = await loadRequest(tx, row.id);
      return { dto: toRestoreRequestDto(final, await usersOf(tx, [final])), runId: run.id };
    },
    REQUEST_TX,
  );
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.dto;
}

/**
 * `POST /api/v1/restore-requests/{id}/acknowledge`: an approver or admin other than the one who broke glass says
 * they have seen it; the dashboard's banner goes away. Audited `restore-request.acknowledge`.
 */
export async function acknowledgeBreakGlass(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:approve');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  const userId = personOf(actor, 'acknowledging a break-glass');
  return withTransaction(ctx, async (tx) => {
    const row = await lockRequest(tx, id.data);
    if (!row.breakGlass) throw new DomainError('INVALID_STATE', `restore request ${row.id} was not a break-glass restore`);
    if (row.breakGlassAckAt !== null) throw new DomainError('INVALID_STATE', `restore request ${row.id}'s break-glass was already acknowledged`);
    if (row.breakGlassById === userId) throw new DomainError('SELF_APPROVAL', 'you broke glass on this request: another approver or admin must acknowledge it');
    const at = new Date();
    await tx.restoreRequest.update({ where: { id: row.id }, data: { breakGlassAckAt: at, breakGlassAckById: userId } });
    await recordAudit(tx, actor, {
      action: 'restore-request.acknowledge',
      targetType: 'restore_request',
      targetId: row.id,
      details: { breakGlassReason: row.breakGlassReason, runId: row.runId },
    });
    const final = await loadRequest(tx, row.id);
    return toRestoreRequestDto(final, await usersOf(tx, [final]));
  });
}
