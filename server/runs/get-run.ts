import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { toRunDto } from './run-dto';
import { runForReader } from './result-for-reader';

export const RunId = z.string().uuid();

export async function getRun(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'run:read');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  const run = await readerOf(ctx).run.findUnique({
    where: { id: id.data },
    include: { source: { select: { name: true } }, output: { select: { id: true } } },
  });
  if (!run) throw notFound('run', id.data);
  return runForReader(ctx.actor, { ...toRunDto(run), outputRecoveryPointId: run.output?.id ?? null });
}
