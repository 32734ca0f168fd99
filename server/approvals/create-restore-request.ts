import crypto from 'node:crypto';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { checkRestoreTargetOf, prepareRestore } from '@/server/restores';
import { requestSecretsContext, sealTargetSecrets } from '@/server/restores/target-secrets';
import { toRunDto } from '@/server/runs/run-dto';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { env } from '@/server/shared/env';
import { notFound } from '@/server/shared/errors';
import { loadRequest, toRestoreRequestDto, usersOf } from './dto';
import { CreateRestoreRequestInput, RestoreFromPointInput } from './inputs';
import { assertConfirmation, executeInTx, personOf, REQUEST_TX } from './lifecycle';
import { approvalRuleFor, paramsHash } from './rules';
import { z } from 'zod';

interface OpenInput {
  recoveryPointId: string;
  target: Record<string, unknown>;
  mode?: string;
  reason: string;
  confirm?: string;
}

/**
 * Opens a request: the point's engine parses the target and mode, a destructive mode needs its typed confirmation,
 * the engine checks the target at once (as a direct restore always did), and the rule comes from the source's tier.
 * A rule that needs no approval executes in the same transaction (status EXECUTED, the run linked); otherwise the
 * request waits (PENDING_APPROVAL) until `expiresAt`.
 */
async function openRequest(ctx: VerbContext, actor: Actor, input: OpenInput) {
  const requesterId = personOf(actor, 'requesting a restore');
  const prepared = await prepareRestore(readerOf(ctx), input.recoveryPointId, { target: input.target, mode: input.mode });
  assertConfirmation(prepared, input.confirm);
  const rule = approvalRuleFor(prepared.source.tier, prepared.modeSpec.destructive);
  await checkRestoreTargetOf(prepared);
  const expiresAt = new Date(Date.now() + env().LIFEBOAT_RESTORE_REQUEST_TTL_HOURS * 3_600_000);
  // The id is made here: the target's secrets are sealed bound to it, in the same insert.
  const id = crypto.randomUUID();
  return withTransaction(
    ctx,
    async (tx, inner) => {
      const created = await tx.restoreRequest.create({
        data: {
          id,
          recoveryPointId: prepared.point.id,
          sourceId: prepared.point.sourceId,
          target: prepared.target,
          targetSecrets: sealTargetSecrets(prepared.secrets, requestSecretsContext(id)),
          mode: prepared.mode,
          destructive: prepared.modeSpec.destructive,
          reason: input.reason,
          requesterId,
          requesterTokenId: actor.type === 'token' ? actor.id : null,
          requiredApprovals: rule.requiredApprovals,
          requiresAdminApproval: rule.requiresAdminApproval,
          paramsHash: paramsHash({ recoveryPointId: prepared.point.id, target: prepared.target, mode: prepared.mode, secretsDigest: prepared.secretsDigest }),
          expiresAt,
        },
      });
      await recordAudit(tx, actor, {
        action: 'restore-request.create',
        targetType: 'restore_request',
        targetId: created.id,
        details: {
          recoveryPointId: prepared.point.id,
          sourceId: prepared.point.sourceId,
          target: prepared.target,
          mode: prepared.mode,
          destructive: prepared.modeSpec.destructive,
          reason: input.reason,
          requiredApprovals: rule.requiredApprovals,
          requiresAdminApproval: rule.requiresAdminApproval,
          rule: rule.rule,
          expiresAt: expiresAt.toISOString(),
        },
      });
      let run = null;
      if (rule.requiredApprovals === 0) {
        // Checked a moment ago; executeInTx checks again under the row lock, as every execution does.
        run = await executeInTx({ ...inner, tx }, actor, await loadRequest(tx, created.id), { trigger: 'no approval rule' });
      }
      const row = await loadRequest(tx, created.id);
      return { request: toRestoreRequestDto(row, await usersOf(tx, [row])), run };
    },
    REQUEST_TX,
  );
}

/** `POST /api/v1/restore-requests` → 201 with the request (EXECUTED with its `runId` when its rule needs no approval). */
export async function createRestoreRequest(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const input = CreateRestoreRequestInput.parse(raw);
  const { request } = await openRequest(ctx, actor, input);
  return request;
}

/**
 * `POST /api/v1/recovery-points/{id}/restores`, the shortcut: the same restore request. When it needs no approval it
 * runs at once and the answer is the run, as it always was, plus `restoreRequest`; otherwise the answer is the
 * waiting request (`status: PENDING_APPROVAL`). Both answer 202.
 */
export async function restoreFromPoint(ctx: VerbContext, rawPointId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const pointId = z.string().uuid().safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));
  const input = RestoreFromPointInput.parse(raw);
  const { request, run } = await openRequest(ctx, actor, { ...input, recoveryPointId: pointId.data, reason: input.reason ?? '' });
  if (run) return { ...toRunDto(run), restoreRequest: request };
  return request;
}
