import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { SOURCE_SERVICE_SELECT, toSourceDto } from './source-dto';

export async function listSources(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const sources = await readerOf(ctx).source.findMany({
    orderBy: { name: 'asc' },
    include: {
      _count: { select: { recoveryPoints: true } },
      service: SOURCE_SERVICE_SELECT,
      runs: { orderBy: { createdAt: 'desc' }, take: 1, select: { id: true, status: true, finishedAt: true, kind: true } },
    },
  });
  return sources.map(({ runs, ...s }) => toSourceDto({ ...s, lastRun: runs[0] ?? null }));
}
