import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { toDestinationDto } from './destination-dto';

export async function listDestinations(actor: Actor | null) {
  authorize(actor, 'inventory:read');
  const rows = await db().destination.findMany({ orderBy: { name: 'asc' } });
  return rows.map((d) => toDestinationDto(d));
}
