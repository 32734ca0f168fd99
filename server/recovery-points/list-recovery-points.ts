import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { SourceId } from '@/server/inventory/get-source';
import { recoveryPointDtoInclude, toRecoveryPointDto } from './recovery-point-dto';

export async function listRecoveryPoints(ctx: VerbContext, rawSourceId: unknown) {
  authorize(ctx.actor, 'inventory:read');
  const reader = readerOf(ctx);
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const source = await reader.source.findUnique({ where: { id: id.data }, select: { id: true } });
  if (!source) throw notFound('source', id.data);
  const points = await reader.recoveryPoint.findMany({
    where: { sourceId: id.data },
    orderBy: { createdAt: 'desc' },
    include: recoveryPointDtoInclude,
  });
  return points.map(toRecoveryPointDto);
}
