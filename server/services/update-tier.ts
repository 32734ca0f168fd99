import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { assertMayChangeRestoreApprovals } from './restore-approvals';
import { toTierDto } from './dto';
import { TierIdParam, UpdateTierInput } from './inputs';

/**
 * Edits a tier's name, objectives or description. Its services follow at once: compliance is computed from the
 * tier's current targets, never from a copy. The audit event keeps what each changed field was before.
 */
export async function updateTier(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = TierIdParam.safeParse(rawId);
  if (!id.success) throw notFound('tier', String(rawId));
  const input = UpdateTierInput.parse(raw);
  assertMayChangeRestoreApprovals(actor, input.restoreApprovals);
  try {
    const tier = await withTransaction(ctx, async (tx) => {
      const before = await tx.tier.findUnique({ where: { id: id.data } });
      if (!before) throw notFound('tier', id.data);
      const updated = await tx.tier.update({
        where: { id: id.data },
        data: input,
        include: { _count: { select: { services: true } } },
      });
      const changes = Object.fromEntries(
        (Object.keys(input) as Array<keyof typeof input>)
          .filter((k) => input[k] !== undefined && before[k] !== updated[k])
          .map((k) => [k, { from: before[k], to: updated[k] }]),
      );
      await recordAudit(tx, actor, { action: 'tier.update', targetType: 'tier', targetId: updated.id, details: { name: updated.name, changes } });
      return updated;
    });
    return toTierDto(tier);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a tier named "${input.name}" already exists`);
    throw e;
  }
}
