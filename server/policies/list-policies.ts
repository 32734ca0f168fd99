import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { POLICY_DTO_INCLUDE, toPolicyDto } from './policy-dto';

export async function listPolicies(actor: Actor | null) {
  authorize(actor, 'inventory:read');
  const rows = await db().policy.findMany({ orderBy: { name: 'asc' }, include: POLICY_DTO_INCLUDE });
  return rows.map(toPolicyDto);
}
