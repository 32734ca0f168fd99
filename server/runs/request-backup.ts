import { authorize } from '@/server/auth/permissions';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { SourceId } from '@/server/inventory/get-source';
import { createRun, enqueueRun } from './create-run';
import { toRunDto } from './run-dto';

/**
 * "Back up now": the run and its audit event commit together, then the job is enqueued (in a caller's transaction,
 * at its commit).
 */
export async function requestBackup(ctx: VerbContext, rawSourceId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'backup:run');
  const parsed = SourceId.safeParse(rawSourceId);
  if (!parsed.success) throw notFound('source', String(rawSourceId));
  const sourceId = parsed.data;

  const run = await withTransaction(ctx, async (tx) => {
    const source = await tx.source.findUnique({
      where: { id: sourceId },
      select: { id: true, name: true, policy: { select: { destinationId: true } } },
    });
    if (!source) throw notFound('source', sourceId);
    const destinationId = source.policy?.destinationId ?? (await defaultDestinationId(tx));
    return createRun(tx, 'BACKUP', { actor, sourceId, destinationId, details: { sourceId, sourceName: source.name, destinationId } });
  });
  await afterCommit(ctx, () => enqueueRun(run));
  return toRunDto(run);
}

export async function defaultDestinationId(tx: Tx): Promise<string> {
  const dest = await tx.destination.findFirst({ where: { isDefault: true }, orderBy: { createdAt: 'asc' }, select: { id: true } });
  if (!dest) throw new DomainError('CONFLICT', 'no default destination is configured; add one first');
  return dest.id;
}
