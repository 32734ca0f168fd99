import { authorize } from '@/server/auth/permissions';
import { RecoveryPointId } from '@/server/retention/ids';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { recoveryPointDtoInclude, toRecoveryPointDto } from './recovery-point-dto';

/** One recovery point, as the list shows it (manifest, hashes, copies, hold/lock, verification). */
export async function getRecoveryPoint(ctx: VerbContext, rawPointId: unknown) {
  authorize(ctx.actor, 'inventory:read');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const point = await readerOf(ctx).recoveryPoint.findUnique({
    where: { id: id.data },
    include: recoveryPointDtoInclude,
  });
  if (!point) throw notFound('recovery point', id.data);
  return toRecoveryPointDto(point);
}
