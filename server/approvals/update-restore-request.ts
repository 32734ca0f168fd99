import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { checkRestoreTargetOf, prepareRestore } from '@/server/restores';
import { openTargetSecrets, requestSecretsContext, sealTargetSecrets, secretsDigest } from '@/server/restores/target-secrets';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Prisma } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { RestoreRequestId, UpdateRestoreRequestInput } from './inputs';
import { assertConfirmation, executeInTx, expireInTx, isOpen, lockRequest, notOpen, personOf, REQUEST_TX } from './lifecycle';
import { approvalRuleFor, canonicalJson, paramsHash } from './rules';

/**
 * `PATCH /api/v1/restore-requests/{id}`: the requester changes the point (of the same source), target, mode or
 * reason of an open request. Every edit bumps `version` and appends what the request asked for before to `history`;
 * a change of point, target or mode changes `paramsHash`, so the approvals given so far no longer count (they stay in
 * the chain, voided) and the request waits for approval again. The rule is taken again (a mode may be destructive),
 * and the new target is checked. `expiresAt` does not move: an edit is no way to keep a request alive.
 */
export async function updateRestoreRequest(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const id = RestoreRequestId.safeParse(rawId);
  if (!id.success) throw notFound('restore request', String(rawId));
  const input = UpdateRestoreRequestInput.parse(raw);
  const userId = personOf(actor, 'editing a restore request');
  const before = await loadRequest(readerOf(ctx), id.data);
  if (before.requesterId !== userId) throw new DomainError('FORBIDDEN', 'only the requester may edit a restore request');
  const pointId = input.recoveryPointId ?? before.recoveryPointId;
  if (pointId === null) throw new DomainError('INVALID_STATE', `restore request ${before.id}: its recovery point was deleted; give recoveryPointId`);
  // A secret field left as the request shows it ("(sealed)") keeps its sealed value; one typed again replaces it; one
  // left out of a new target is gone.
  const sealed = openTargetSecrets(before.targetSecrets, requestSecretsContext(before.id));
  const prepared = await prepareRestore(readerOf(ctx), pointId, {
    target: input.target ?? (before.target as Record<string, unknown>),
    mode: input.mode ?? before.mode,
    sealed,
  });
  if (prepared.point.sourceId !== before.sourceId) {
    const message = 'must be a recovery point of the same source (the rule is the source’s)';
    throw new DomainError('VALIDATION', `recoveryPointId: ${message}`, { issues: [{ path: ['recoveryPointId'], message }] });
  }
  const hash = paramsHash({ recoveryPointId: prepared.point.id, target: prepared.target, mode: prepared.mode, secretsDigest: prepared.secretsDigest });
  const paramsChanged = hash !== before.paramsHash;
  // Whether a sealed value changed, for the audit trail (which never holds the values, nor their digests).
  const secretsChanged = secretsDigest(sealed) !== prepared.secretsDigest;
  if (paramsChanged) {
    assertConfirmation(prepared, input.confirm);
    await checkRestoreTargetOf(prepared);
  }
  const rule = approvalRuleFor(prepared.source.tier, prepared.modeSpec.destructive);
  const outcome = await withTransaction(
    ctx,
    async (tx, inner) => {
      const row = await lockRequest(tx, id.data);
      if (await expireInTx(tx, actor, row)) return { refusal: new DomainError('EXPIRED', `restore request ${row.id} expired at ${row.expiresAt.toISOString()}; ask again`) };
      if (!isOpen(row.status)) throw notOpen(row, 'edit');
      if (row.version !== before.version) throw new DomainError('CONFLICT', `restore request ${row.id} changed meanwhile (version ${row.version}); reload and edit again`);
      const previous = {
        version: row.version,
        recoveryPointId: row.recoveryPointId,
        target: row.target,
        mode: row.mode,
        reason: row.reason,
        paramsHash: row.paramsHash,
        requiredApprovals: row.requiredApprovals,
        requiresAdminApproval: row.requiresAdminApproval,
        until: new Date().toISOString(),
      };
      const history = [...(Array.isArray(row.history) ? row.history : []), previous] as Prisma.InputJsonArray;
      await tx.restoreRequest.update({
        where: { id: row.id },
        data: {
          recoveryPointId: prepared.point.id,
          target: prepared.target,
          targetSecrets: sealTargetSecrets(prepared.secrets, requestSecretsContext(row.id)),
          mode: prepared.mode,
          destructive: prepared.modeSpec.destructive,
          reason: input.reason ?? row.reason,
          paramsHash: hash,
          requiredApprovals: rule.requiredApprovals,
          requiresAdminApproval: rule.requiresAdminApproval,
          version: row.version + 1,
          history,
          // Edited parameters wait for approvals of their own; only the reason changed: the approvals still stand.
          ...(paramsChanged ? { status: 'PENDING_APPROVAL' as const } : {}),
        },
      });
      const changed = Object.fromEntries(
        (['recoveryPointId', 'target', 'mode', 'reason'] as const)
          .map((k) => [k, { from: previous[k], to: k === 'reason' ? (input.reason ?? row.reason) : k === 'recoveryPointId' ? prepared.point.id : k === 'target' ? prepared.target : prepared.mode }] as const)
          .filter(([, v]) => canonicalJson(v.from) !== canonicalJson(v.to)),
      );
      await recordAudit(tx, actor, {
        action: 'restore-request.update',
        targetType: 'restore_request',
        targetId: row.id,
        details: {
          version: row.version + 1,
          changes: changed,
          ...(secretsChanged && { sealedSecretsChanged: true }),
          paramsChanged,
          voidsApprovals: paramsChanged,
          requiredApprovals: rule.requiredApprovals,
        },
      });
      const edited = await loadRequest(tx, row.id);
      // A rule that now needs nothing (a mode no longer destructive, a source without a tier) runs at once, as a new
      // request would; otherwise the approvals decide (`satisfiedNow` at the next approval or execute).
      if (rule.requiredApprovals === 0) await executeInTx({ ...inner, tx }, actor, edited, { trigger: 'no approval rule' });
      const final = await loadRequest(tx, row.id);
      return { dto: toRestoreRequestDto(final, await usersOf(tx, [final])) };
    },
    REQUEST_TX,
  );
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.dto;
}
