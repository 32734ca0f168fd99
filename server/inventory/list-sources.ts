import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { toSourceDto } from './source-dto';

export async function listSources(actor: Actor | null) {
  authorize(actor, 'inventory:read');
  const sources = await db().source.findMany({
    orderBy: { name: 'asc' },
    include: {
      _count: { select: { recoveryPoints: true } },
      runs: { orderBy: { createdAt: 'desc' }, take: 1, select: { id: true, status: true, finishedAt: true, kind: true } },
    },
  });
  return sources.map(({ runs, ...s }) => toSourceDto({ ...s, lastRun: runs[0] ?? null }));
}
