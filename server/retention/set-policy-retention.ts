import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { Prisma } from '@/server/shared/generated/prisma/client';
import { PolicyId } from './ids';
import { parseRetentionPolicy } from './retention-policy';

/**
 * Sets (or, with `null`, clears) the retention rules of a policy. The stored JSON is the parsed policy (time zone
 * filled in and normalised), so what the planner reads back is exactly what was validated here.
 */
export async function setPolicyRetention(ctx: VerbContext, rawPolicyId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = PolicyId.safeParse(rawPolicyId);
  if (!id.success) throw notFound('policy', String(rawPolicyId));
  const retention = raw === null ? null : parseRetentionPolicy(raw);

  return withTransaction(ctx, async (tx) => {
    const policy = await tx.policy.findUnique({ where: { id: id.data }, select: { id: true, name: true, retention: true } });
    if (!policy) throw notFound('policy', id.data);
    await tx.policy.update({
      where: { id: policy.id },
      data: { retention: retention === null ? Prisma.DbNull : (retention as Prisma.InputJsonValue) },
    });
    await recordAudit(tx, actor, {
      action: 'policy.retention-set',
      targetType: 'policy',
      targetId: policy.id,
      details: { policyName: policy.name, previous: policy.retention ?? null, retention },
    });
    return { policyId: policy.id, name: policy.name, retention };
  });
}
