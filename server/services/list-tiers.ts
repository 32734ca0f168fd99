import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { toTierDto } from './dto';

/** Every tier, tightest objectives first (then by name), with how many services use it. */
export async function listTiers(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const tiers = await readerOf(ctx).tier.findMany({
    orderBy: [{ rpoSeconds: 'asc' }, { rtoSeconds: 'asc' }, { name: 'asc' }],
    include: { _count: { select: { services: true } } },
  });
  return tiers.map(toTierDto);
}
