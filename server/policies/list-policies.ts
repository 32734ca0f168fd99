import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { POLICY_DTO_INCLUDE, toPolicyDto } from './policy-dto';

export async function listPolicies(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const rows = await readerOf(ctx).policy.findMany({ orderBy: { name: 'asc' }, include: POLICY_DTO_INCLUDE });
  const now = new Date();
  return rows.map((p) => toPolicyDto(p, now));
}
