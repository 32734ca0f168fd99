import { withTransaction } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { RECONCILE_LOOKBACK_MS } from './reconcile-slots';
import { periodMs } from './schedule-times';
import { lockKey, SCHEDULER_ACTOR } from './scheduler-actor';
import { loadScheduledSources, type ScheduledSource } from './scheduled-sources';
import { startScheduledRun } from './start-scheduled-run';

// At most one catch-up per source per 15 minutes (or per RPO, if longer): one outage gets its one catch-up even when
// the workers come back unevenly and a slot or two more go missed around it, and a flapping fleet cannot turn every
// missed slot into a backup. The regular schedule, once it fires again, is what keeps the RPO.
const CATCH_UP_MIN_INTERVAL_MS = 15 * 60_000;

/**
 * The RPO a source is held to: its service's tier's, or, with no tier, the period of its most frequent backup
 * schedule (the schedule is then the only statement of how much data loss is acceptable).
 */
function rpoMs(source: ScheduledSource, now: Date): number | null {
  if (source.rpoSeconds !== null) return source.rpoSeconds * 1000;
  const periods = source.schedules.filter((s) => s.kind === 'backup').map((s) => periodMs(s, now)).filter((p): p is number => p !== null);
  return periods.length > 0 ? Math.min(...periods) : null;
}

/**
 * After an outage, ONE catch-up backup (trigger `catch-up`) per source, not one per missed slot: for every source
 * with an unpaused backup schedule whose RPO is breached (now − the run start of its newest recovery point > RPO, or
 * no point at all), that has a MISSED backup slot since that point, no queued or running backup, and no catch-up
 * started since that missed slot was recorded or within the last 15 minutes (CATCH_UP_MIN_INTERVAL_MS). Checked and
 * started under the source's scheduler lock, so every worker may run this sweep at once. Returns the runs started.
 */
export async function catchUp(now = new Date(), loaded?: ScheduledSource[]): Promise<string[]> {
  const started: string[] = [];
  // Only sources with a MISSED backup slot within the reconciler's look-back can owe a catch-up: one query finds
  // them, so a sweep over a thousand healthy sources opens no transaction.
  const owing = new Set(
    (
      await db().scheduledSlot.findMany({
        where: { kind: 'backup', state: 'MISSED', slotAt: { gt: new Date(now.getTime() - RECONCILE_LOOKBACK_MS) } },
        distinct: ['sourceId'],
        select: { sourceId: true },
      })
    ).map((r) => r.sourceId),
  );
  for (const source of loaded ?? (await loadScheduledSources())) {
    if (!owing.has(source.sourceId) || source.paused || !source.schedules.some((s) => s.kind === 'backup')) continue;
    const rpo = rpoMs(source, now);
    if (rpo === null) continue;
    try {
      const runId = await withTransaction({ actor: SCHEDULER_ACTOR }, async (tx, ctx) => {
        await lockKey(tx, `source:${source.sourceId}`);
        const newest = await tx.recoveryPoint.findFirst({
          where: { sourceId: source.sourceId },
          orderBy: { createdAt: 'desc' },
          select: { run: { select: { startedAt: true, createdAt: true } } },
        });
        const dataAt = newest ? (newest.run.startedAt ?? newest.run.createdAt) : null;
        if (dataAt && now.getTime() - dataAt.getTime() <= rpo) return null;
        const missed = await tx.scheduledSlot.findFirst({
          where: { sourceId: source.sourceId, kind: 'backup', state: 'MISSED', ...(dataAt ? { slotAt: { gt: dataAt } } : {}) },
          orderBy: { createdAt: 'desc' },
          select: { slotAt: true, createdAt: true },
        });
        if (!missed) return null;
        const recent = new Date(Math.min(missed.createdAt.getTime(), now.getTime() - Math.max(rpo, CATCH_UP_MIN_INTERVAL_MS)));
        const already = await tx.run.findFirst({
          where: { sourceId: source.sourceId, kind: 'BACKUP', OR: [{ status: { in: ['QUEUED', 'RUNNING'] } }, { trigger: 'catch-up', createdAt: { gte: recent } }] },
          select: { id: true },
        });
        if (already) return null;
        const outcome = await startScheduledRun(ctx as typeof ctx & { tx: typeof tx }, source, 'backup', 'catch-up', {
          missedSlotAt: missed.slotAt.toISOString(),
          lastDataAt: dataAt?.toISOString() ?? null,
        });
        return outcome.started ? outcome.runId : null;
      });
      if (runId) {
        logger.warn({ sourceId: source.sourceId, runId }, 'scheduler: RPO breached after missed slots; catch-up backup started');
        started.push(runId);
      }
    } catch (e) {
      logger.error({ err: e, sourceId: source.sourceId }, 'scheduler: catch-up failed');
    }
  }
  return started;
}
