import { authorize, type Actor } from '@/server/auth/permissions';
import { db, type Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { SourceId } from '@/server/inventory/get-source';
import { createRun, enqueueRun } from './create-run';
import { toRunDto } from './run-dto';

/** "Back up now": the run and its audit event commit together, then the job is enqueued. */
export async function requestBackup(actor: Actor | null, rawSourceId: unknown) {
  authorize(actor, 'backup:run');
  const parsed = SourceId.safeParse(rawSourceId);
  if (!parsed.success) throw notFound('source', String(rawSourceId));
  const sourceId = parsed.data;

  const run = await db().$transaction(async (tx) => {
    const source = await tx.source.findUnique({
      where: { id: sourceId },
      select: { id: true, name: true, policy: { select: { destinationId: true } } },
    });
    if (!source) throw notFound('source', sourceId);
    const destinationId = source.policy?.destinationId ?? (await defaultDestinationId(tx));
    return createRun(tx, 'BACKUP', { actor, sourceId, destinationId, details: { sourceId, sourceName: source.name, destinationId } });
  });
  await enqueueRun(run);
  return toRunDto(run);
}

export async function defaultDestinationId(tx: Tx): Promise<string> {
  const dest = await tx.destination.findFirst({ where: { isDefault: true }, orderBy: { createdAt: 'asc' }, select: { id: true } });
  if (!dest) throw new DomainError('CONFLICT', 'no default destination is configured; add one first');
  return dest.id;
}
