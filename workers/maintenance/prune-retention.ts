import { parseJob } from '@/server/jobs/contracts';
import { enqueueJob } from '@/server/jobs/producer';
import { hasKeepRule, parseRetentionPolicy, type RetentionPolicy } from '@/server/retention';
import { pruneSource, type PruneResult } from '@/server/retention/prune-source';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { bucketOf } from './recurring';

/** Whether pruning under this retention can do anything: delete (a keep rule) or move (tiers). */
const hasWork = (policy: RetentionPolicy): boolean => hasKeepRule(policy) || (policy.tiers?.length ?? 0) > 0;

/** Handles a `retention.prune` job. Not a run: no run row to claim, and pruning is idempotent if delivered twice. */
export async function handlePruneJob(data: unknown): Promise<PruneResult> {
  const { sourceId } = parseJob('retention.prune', data);
  return pruneSource(sourceId);
}

/**
 * Enqueues one `retention.prune` per source whose policy, or one of whose copy destinations, has a keep rule or storage
 * tiers (a prune also applies tier transitions), with
 * the job id `retention-prune-<sourceId>-<bucket>`: however many workers sweep, BullMQ keeps one job per source per
 * interval (as long as it still holds the finished job, which it does for a day). Returns the ids of the sources
 * enqueued.
 */
export async function enqueueDuePrunes(intervalSeconds: number, now = new Date()): Promise<string[]> {
  const bucket = bucketOf(now, intervalSeconds);
  const sources = await db().source.findMany({
    where: { policy: { isNot: null } },
    select: { id: true, policy: { select: { retention: true, copies: { select: { retention: true } } } } },
  });
  const due: string[] = [];
  for (const source of sources) {
    // The policy's retention and each copy destination's: any of them may delete something.
    const stored = [source.policy?.retention ?? null, ...(source.policy?.copies ?? []).map((c) => c.retention)].filter((r) => r !== null);
    if (stored.length === 0) continue;
    try {
      if (!stored.some((r) => hasWork(parseRetentionPolicy(r)))) continue;
    } catch (e) {
      logger.error({ err: e, sourceId: source.id }, 'retention: stored policy is invalid; not pruning this source');
      continue;
    }
    await enqueueJob('retention.prune', { sourceId: source.id }, `retention-prune-${source.id}-${bucket}`);
    due.push(source.id);
  }
  return due;
}
