import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { sourceSlo } from '@/server/slo/get-slo';
import { SOURCE_DTO_INCLUDE, toSourceDto } from './source-dto';

export const SourceId = z.string().uuid({ message: 'not a valid source id' });

export async function getSource(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'inventory:read');
  const id = SourceId.safeParse(rawId);
  if (!id.success) throw notFound('source', String(rawId));
  const source = await readerOf(ctx).source.findUnique({
    where: { id: id.data },
    include: SOURCE_DTO_INCLUDE,
  });
  if (!source) throw notFound('source', id.data);
  const { runs, ...rest } = source;
  // The same object as in GET /api/v1/slo's `sources` (server/slo).
  const slo = await sourceSlo(readerOf(ctx), id.data);
  return { ...toSourceDto({ ...rest, lastRun: runs[0] ?? null }), slo };
}
