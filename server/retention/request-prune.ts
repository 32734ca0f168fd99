import crypto from 'node:crypto';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { SourceId } from '@/server/inventory/get-source';
import { enqueueJob } from '@/server/jobs/producer';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';

/**
 * "Prune now": records the request, then enqueues a `retention.prune` job for the source once it has committed. In a
 * caller's transaction (`ctx.tx`, opened by `withTransaction`) the enqueue waits for its commit and `queued` is set then.
 */
export async function requestPrune(ctx: VerbContext, rawSourceId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const sourceId = id.data;

  await withTransaction(ctx, async (tx) => {
    const source = await tx.source.findUnique({ where: { id: sourceId }, select: { id: true, name: true } });
    if (!source) throw notFound('source', sourceId);
    await recordAudit(tx, actor, { action: 'source.prune', targetType: 'source', targetId: sourceId, details: { sourceName: source.name } });
  });
  const result = { sourceId, queued: false };
  await afterCommit(ctx, async () => {
    try {
      await enqueueJob('retention.prune', { sourceId }, `retention-prune-${sourceId}-now-${crypto.randomUUID()}`);
      result.queued = true;
    } catch (e) {
      // Nothing is lost: the workers' periodic prune applies the same plan within one interval.
      logger.warn({ err: e, sourceId }, 'enqueue of prune failed; the periodic prune will run it');
    }
  });
  return result;
}
