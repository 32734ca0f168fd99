import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { toDestinationDto } from './destination-dto';

export async function listDestinations(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const rows = await readerOf(ctx).destination.findMany({ orderBy: { name: 'asc' } });
  return rows.map((d) => toDestinationDto(d));
}
