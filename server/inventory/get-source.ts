import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { POLICY_DTO_INCLUDE } from '@/server/policies/policy-dto';
import { toSourceDto } from './source-dto';

export const SourceId = z.string().uuid({ message: 'not a valid source id' });

export async function getSource(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'inventory:read');
  const id = SourceId.safeParse(rawId);
  if (!id.success) throw notFound('source', String(rawId));
  const source = await readerOf(ctx).source.findUnique({
    where: { id: id.data },
    include: {
      _count: { select: { recoveryPoints: true } },
      // The detail page summarises the policy's retention and each copy destination's.
      policy: { include: POLICY_DTO_INCLUDE },
      runs: { orderBy: { createdAt: 'desc' }, take: 1, select: { id: true, status: true, finishedAt: true, kind: true } },
    },
  });
  if (!source) throw notFound('source', id.data);
  const { runs, ...rest } = source;
  return toSourceDto({ ...rest, lastRun: runs[0] ?? null });
}
