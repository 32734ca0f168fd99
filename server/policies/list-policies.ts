import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { toPolicyDto } from './policy-dto';

export async function listPolicies(actor: Actor | null) {
  authorize(actor, 'inventory:read');
  const rows = await db().policy.findMany({ orderBy: { name: 'asc' }, include: { copies: true } });
  return rows.map(toPolicyDto);
}
