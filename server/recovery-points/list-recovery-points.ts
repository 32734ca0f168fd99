import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { SourceId } from '@/server/inventory/get-source';
import { recoveryPointDtoInclude, toRecoveryPointDto } from './recovery-point-dto';

export async function listRecoveryPoints(actor: Actor | null, rawSourceId: unknown) {
  authorize(actor, 'inventory:read');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const source = await db().source.findUnique({ where: { id: id.data }, select: { id: true } });
  if (!source) throw notFound('source', id.data);
  const points = await db().recoveryPoint.findMany({
    where: { sourceId: id.data },
    orderBy: { createdAt: 'desc' },
    include: recoveryPointDtoInclude,
  });
  return points.map(toRecoveryPointDto);
}
