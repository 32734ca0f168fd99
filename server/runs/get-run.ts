import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { toRunDto } from './run-dto';

export const RunId = z.string().uuid();

export async function getRun(actor: Actor | null, rawId: unknown) {
  authorize(actor, 'run:read');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  const run = await db().run.findUnique({
    where: { id: id.data },
    include: { source: { select: { name: true } }, output: { select: { id: true } } },
  });
  if (!run) throw notFound('run', id.data);
  return { ...toRunDto(run), outputRecoveryPointId: run.output?.id ?? null };
}
