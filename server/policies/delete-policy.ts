import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { PolicyId } from '@/server/retention/ids';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';

/**
 * Deletes a policy no source uses (409 naming how many do, otherwise: a source's policy would silently become none,
 * since `Source.policyId` is set null on delete). The row is locked first, so a source attached meanwhile either is
 * counted or fails its foreign key once the policy is gone. Recovery points keep their own destination and are not
 * touched; the policy's copy destinations go with it.
 */
export async function deletePolicy(ctx: VerbContext, rawPolicyId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = PolicyId.safeParse(rawPolicyId);
  if (!id.success) throw notFound('policy', String(rawPolicyId));

  return withTransaction(ctx, async (tx) => {
    const locked = await tx.$queryRaw<{ id: string; name: string }[]>`SELECT id, name FROM "Policy" WHERE id = ${id.data}::uuid FOR UPDATE`;
    const policy = locked[0];
    if (!policy) throw notFound('policy', id.data);
    const used = await tx.source.count({ where: { policyId: policy.id } });
    if (used > 0) {
      throw new DomainError(
        'CONFLICT',
        `policy "${policy.name}" is used by ${used === 1 ? '1 source' : `${used} sources`}; give ${used === 1 ? 'it' : 'them'} another policy first`,
        { sources: used },
      );
    }
    await tx.policy.delete({ where: { id: policy.id } });
    await recordAudit(tx, actor, { action: 'policy.delete', targetType: 'policy', targetId: policy.id, details: { policyName: policy.name } });
    return { id: policy.id, name: policy.name, deleted: true };
  });
}
