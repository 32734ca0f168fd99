import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { db, type Tx } from '@/server/shared/db';
import { DomainError, isDomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { countingOf, loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { DecideInput, RestoreRequestId } from './inputs';
import { executePrepared, expireInTx, prepareExecution, isOpen, lockRequest, notOpen, personOf, REQUEST_TX, satisfiedNow } from './lifecycle';
import { isEligible } from './rules';

type Decision = 'APPROVE' | 'REJECT';

/** The approver's account as it is now: only an enabled approver or admin decides. */
async function eligibleApprover(tx: Tx, userId: string) {
  const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true, role: true, disabled: true, email: true } });
  if (!user || !isEligible(user)) {
    throw new DomainError('FORBIDDEN', `only an enabled approver or admin decides on restore requests (${user ? `${user.email} is ${user.role.toLowerCase()}${user.disabled ? ', disabled' : ''}` : 'no such user'})`);
  }
  return user;
}

/**
 * One approver's decision on the request's current parameters. Refused: the requester (also through a token they
 * own; 403 SELF_APPROVAL), a role without `restore:approve` or an account that is not an enabled approver or admin
 * (403), a closed request (409; EXPIRED for an expired one, marked so on the way), a second decision by the same
 * person on the same parameters (409 ALREADY_DECIDED: the database's unique key decides, so two concurrent clicks
 * count once). A rejection ends the request (REJECTED). The approval that satisfies the rule executes the request
 * in the same transaction (the system executes it, as that approver; docs/ARCHITECTURE.md, "Restore requests"). If the target
 * check then fails (a database created meanwhile), the approval stands and the request stays APPROVED with
 * `executionError`; `POST …/execute` runs it later.
 */
async function decide(ctx: VerbContext, rawId: unknown, raw: unknown, decision: Decision) {
  const { actor } = ctx;
  authorize(actor, 'restore:approve');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  const input = DecideInput.parse(raw);
  const approverId = personOf(actor, decision === 'APPROVE' ? 'approving a restore' : 'rejecting a restore');
  let outcome: Awaited<ReturnType<typeof decideInTx>>;
  try {
    outcome = await withTransaction(ctx, (tx, inner) => decideInTx({ ...inner, tx }, actor, id.data, approverId, decision, input.comment ?? null), REQUEST_TX);
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new DomainError('ALREADY_DECIDED', `you already decided on version ${await versionOf(id.data)} of restore request ${id.data}`);
    }
    throw e;
  }
  if (outcome.expired) throw new DomainError('EXPIRED', `restore request ${id.data} expired at ${outcome.expiresAt}; ask again`);
  return outcome.dto;
}

async function versionOf(id: string): Promise<number | string> {
  return (await db().restoreRequest.findUnique({ where: { id }, select: { version: true } }))?.version ?? '?';
}

async function decideInTx(ctx: VerbContext & { tx: Tx }, actor: Actor, id: string, approverId: string, decision: Decision, comment: string | null) {
  const { tx } = ctx;
  const row = await lockRequest(tx, id);
  // Expired by the clock, whatever the sweep has done: recorded (and committed) before the refusal.
  if (await expireInTx(tx, actor, row)) return { expired: true as const, expiresAt: row.expiresAt.toISOString() };
  if (!isOpen(row.status)) throw notOpen(row, decision === 'APPROVE' ? 'approve' : 'reject');
  if (row.requesterId === approverId) {
    const via = actor.type === 'token' ? ' (through a token you own)' : '';
    throw new DomainError('SELF_APPROVAL', `you requested this restore${via}: someone else must ${decision === 'APPROVE' ? 'approve' : 'reject'} it (or cancel it)`);
  }
  const approver = await eligibleApprover(tx, approverId);
  // No check for an earlier decision here: the unique key (request, approver, paramsHash) refuses a second one.
  await tx.restoreApproval.create({
    data: {
      requestId: id,
      approverId,
      viaTokenId: actor.type === 'token' ? actor.id : null,
      roleAtDecision: approver.role,
      decision,
      comment,
      paramsHash: row.paramsHash,
      version: row.version,
    },
  });
  let executionError: { code: string; message: string } | null = null;
  if (decision === 'REJECT') {
    await tx.restoreRequest.update({ where: { id }, data: { status: 'REJECTED', closedAt: new Date() } });
    await recordAudit(tx, actor, {
      action: 'restore-request.reject',
      targetType: 'restore_request',
      targetId: id,
      details: { comment, version: row.version, paramsHash: row.paramsHash, from: row.status },
    });
  } else {
    const after = await loadRequest(tx, id);
    const satisfied = satisfiedNow(after);
    await recordAudit(tx, actor, {
      action: 'restore-request.approve',
      targetType: 'restore_request',
      targetId: id,
      details: { comment, version: row.version, paramsHash: row.paramsHash, counting: countingOf(after).length, required: row.requiredApprovals, satisfied },
    });
    if (satisfied) {
      if (after.status === 'PENDING_APPROVAL') await tx.restoreRequest.update({ where: { id }, data: { status: 'APPROVED' } });
      const ready = await loadRequest(tx, id);
      const prepared = await prepareExecution(tx, ready).catch((e: unknown) => {
        // The point is gone, or the target check refused (a database created meanwhile): nothing was written for it,
        // so the approval still commits and the request waits, APPROVED, for `POST …/execute`.
        if (!isDomainError(e)) throw e;
        executionError = { code: e.code, message: e.message };
        return null;
      });
      if (prepared) await executePrepared(ctx, actor, ready, prepared, { trigger: 'approval' });
    }
  }
  const final = await loadRequest(tx, id);
  return { expired: false as const, dto: { ...toRestoreRequestDto(final, await usersOf(tx, [final])), ...(executionError ? { executionError } : {}) } };
}

/** `POST /api/v1/restore-requests/{id}/approve` `{ comment? }`. */
export const approveRestoreRequest = (ctx: VerbContext, id: unknown, raw: unknown) => decide(ctx, id, raw, 'APPROVE');
/** `POST /api/v1/restore-requests/{id}/reject` `{ comment? }`: any eligible approver's rejection ends the request. */
export const rejectRestoreRequest = (ctx: VerbContext, id: unknown, raw: unknown) => decide(ctx, id, raw, 'REJECT');
