import crypto from 'node:crypto';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { SourceId } from '@/server/inventory/get-source';
import { enqueueJob } from '@/server/jobs/producer';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';

/** "Prune now": records the request, then enqueues a `retention.prune` job for the source. */
export async function requestPrune(actor: Actor | null, rawSourceId: unknown) {
  authorize(actor, 'inventory:write');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const sourceId = id.data;

  await db().$transaction(async (tx) => {
    const source = await tx.source.findUnique({ where: { id: sourceId }, select: { id: true, name: true } });
    if (!source) throw notFound('source', sourceId);
    await recordAudit(tx, actor, { action: 'source.prune', targetType: 'source', targetId: sourceId, details: { sourceName: source.name } });
  });
  let queued = true;
  try {
    await enqueueJob('retention.prune', { sourceId }, `retention-prune-${sourceId}-now-${crypto.randomUUID()}`);
  } catch (e) {
    // Nothing is lost: the workers' periodic prune applies the same plan within one interval.
    queued = false;
    logger.warn({ err: e, sourceId }, 'enqueue of prune failed; the periodic prune will run it');
  }
  return { sourceId, queued };
}
