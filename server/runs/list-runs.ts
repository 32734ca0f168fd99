import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { IsoDateTimeInRange } from '@/server/shared/bounded-date';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { RUN_TRIGGERS } from './run-kinds';
import { toRunDto } from './run-dto';
import { runForReader } from './result-for-reader';

export const ListRunsInput = z.object({
  sourceId: z.string().uuid({ message: 'sourceId must be a uuid' }).optional(),
  status: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).optional(),
  kind: z.enum(['BACKUP', 'RESTORE', 'VERIFY']).optional(),
  // `?status=FAILED&trigger=schedule`: the Failed runs view (scheduled runs that spent their attempts).
  trigger: z.enum(RUN_TRIGGERS).optional(),
  // One screen of runs; older ones page with `before`.
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // In range: year 0 passed z.string().datetime() and PostgreSQL refused it (a 500).
  before: IsoDateTimeInRange.optional(),
});
export type ListRunsInput = z.infer<typeof ListRunsInput>;

export async function listRuns(ctx: VerbContext, raw: unknown) {
  authorize(ctx.actor, 'run:read');
  const parsed = ListRunsInput.safeParse(raw);
  if (!parsed.success) {
    throw new DomainError('VALIDATION', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const input = parsed.data;
  const runs = await readerOf(ctx).run.findMany({
    where: {
      sourceId: input.sourceId,
      status: input.status,
      kind: input.kind,
      trigger: input.trigger,
      createdAt: input.before ? { lt: new Date(input.before) } : undefined,
    },
    orderBy: { createdAt: 'desc' },
    take: input.limit,
    include: { source: { select: { name: true } } },
  });
  const actor = ctx.actor;
  return runs.map((run) => runForReader(actor, toRunDto(run)));
}
