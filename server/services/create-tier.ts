import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { assertMayChangeRestoreApprovals } from './restore-approvals';
import { toTierDto } from './dto';
import { CreateTierInput } from './inputs';

/** Creates a tier: a named pair of recovery objectives (RPO, RTO in seconds) services can be held to. */
export async function createTier(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const input = CreateTierInput.parse(raw);
  assertMayChangeRestoreApprovals(actor, input.restoreApprovals);
  try {
    const tier = await withTransaction(ctx, async (tx) => {
      const created = await tx.tier.create({ data: { ...input, description: input.description ?? null } });
      await recordAudit(tx, actor, {
        action: 'tier.create',
        targetType: 'tier',
        targetId: created.id,
        details: {
          name: created.name,
          rpoSeconds: created.rpoSeconds,
          rtoSeconds: created.rtoSeconds,
          restoreApprovals: created.restoreApprovals,
          description: created.description,
        },
      });
      return created;
    });
    return toTierDto({ ...tier, _count: { services: 0 } });
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a tier named "${input.name}" already exists`);
    throw e;
  }
}
