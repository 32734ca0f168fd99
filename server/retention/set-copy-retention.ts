import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { Prisma } from '@/server/shared/generated/prisma/client';
import { PolicyId } from './ids';
import { parseRetentionPolicy } from './retention-policy';

const DestinationId = z.string().uuid({ message: 'not a valid destination id' });

/**
 * Sets (or, with `null`, clears) the retention of the copies a policy keeps on one of its copy destinations. With
 * rules, those copies are planned on their own (e.g. kept a year while the primary keeps 14 days); with `null` they
 * follow their point again. Stored as parsed, like the policy's own retention.
 */
export async function setPolicyCopyRetention(ctx: VerbContext, rawPolicyId: unknown, rawDestinationId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const policyId = PolicyId.safeParse(rawPolicyId);
  if (!policyId.success) throw notFound('policy', String(rawPolicyId));
  const destinationId = DestinationId.safeParse(rawDestinationId);
  if (!destinationId.success) throw notFound('copy destination', String(rawDestinationId));
  const retention = raw === null ? null : parseRetentionPolicy(raw);

  return withTransaction(ctx, async (tx) => {
    const copy = await tx.policyCopy.findUnique({
      where: { policyId_destinationId: { policyId: policyId.data, destinationId: destinationId.data } },
      select: { id: true, retention: true, policy: { select: { id: true, name: true } }, destination: { select: { id: true, name: true } } },
    });
    if (!copy) throw new DomainError('NOT_FOUND', `policy ${policyId.data} has no copy destination ${destinationId.data}`);
    await tx.policyCopy.update({
      where: { id: copy.id },
      data: { retention: retention === null ? Prisma.DbNull : (retention as Prisma.InputJsonValue) },
    });
    await recordAudit(tx, actor, {
      action: 'policy.copy-retention-set',
      targetType: 'policy',
      targetId: copy.policy.id,
      details: {
        policyName: copy.policy.name,
        destinationId: copy.destination.id,
        destinationName: copy.destination.name,
        previous: copy.retention ?? null,
        retention,
      },
    });
    return { policyId: copy.policy.id, destinationId: copy.destination.id, destinationName: copy.destination.name, retention };
  });
}
