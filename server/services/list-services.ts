import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { SERVICE_DTO_INCLUDE, toServiceDto } from './dto';

/** Every service by name, each with its tier's objectives and its sources' ids. */
export async function listServices(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const services = await readerOf(ctx).service.findMany({ orderBy: { name: 'asc' }, include: SERVICE_DTO_INCLUDE });
  return services.map(toServiceDto);
}
