import { inWindow, MAX_SLOTS_PER_CALL, type StoredSchedule } from '@/server/policies/schedules';
import { recordAudit } from '@/server/audit/record-audit';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { graceMs, slotsIn } from './schedule-times';
import { SCHEDULER_ACTOR } from './scheduler-actor';
import { loadScheduledSources, type ScheduledSource } from './scheduled-sources';
import { covered, liveIntervals } from './worker-heartbeat';

/**
 * How far back the reconciler looks for a (source, schedule) it has never reconciled, or whose cursor is older:
 * a week covers a long weekend's outage, and bounds the work (and the rows) of a second-level schedule left alone.
 */
export const RECONCILE_LOOKBACK_MS = 7 * 86_400_000;

/**
 * Where the reconciler starts for a schedule it has no cursor for: the later of the policy's and the source's last
 * change (the nearest thing to "when this schedule applied to this source"), plus two sweeps, since the job
 * schedulers are made by the next sweep after a change, and never more than the look-back.
 */
export function firstReconcileFrom(source: ScheduledSource, now: Date, sweepMs: number): Date {
  const attached = Math.max(source.policyUpdatedAt.getTime(), source.sourceUpdatedAt.getTime()) + 2 * sweepMs;
  return new Date(Math.max(attached, now.getTime() - RECONCILE_LOOKBACK_MS));
}

/**
 * Records every slot of `schedule` between its cursor and now − grace that has no row: SKIPPED when the policy is
 * paused or the slot falls outside the window, else MISSED, because no worker was running (by the heartbeats) or
 * because the scheduler never fired. Then advances the cursor. One transaction, with the cursor row locked, so two
 * workers reconciling at once record each slot once; a fire racing it loses on the unique slot and starts nothing.
 */
export async function reconcileSchedule(source: ScheduledSource, schedule: StoredSchedule, now: Date, sweepMs: number): Promise<{ missed: number; skipped: number }> {
  const until = new Date(now.getTime() - graceMs(schedule, now));
  const start = firstReconcileFrom(source, now, sweepMs);
  return db().$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO "ScheduleCursor" ("sourceId", "scheduleId", "reconciledUntil", "updatedAt")
      VALUES (${source.sourceId}::uuid, ${schedule.id}, ${start}, now()) ON CONFLICT DO NOTHING`;
    const [cursor] = await tx.$queryRaw<Array<{ reconciledUntil: Date }>>`SELECT "reconciledUntil" FROM "ScheduleCursor"
      WHERE "sourceId" = ${source.sourceId}::uuid AND "scheduleId" = ${schedule.id} FOR UPDATE`;
    const from = new Date(Math.max(cursor!.reconciledUntil.getTime(), now.getTime() - RECONCILE_LOOKBACK_MS));
    if (until.getTime() <= from.getTime()) return { missed: 0, skipped: 0 };
    // One page per pass (a week of one-minute slots): a longer backlog catches up over a few sweeps, never in one
    // huge transaction.
    const slots = slotsIn(schedule, from, until);
    const reached = slots.length >= MAX_SLOTS_PER_CALL ? slots[slots.length - 1]! : until;
    const recorded = new Set(
      (
        await tx.scheduledSlot.findMany({
          where: { sourceId: source.sourceId, scheduleId: schedule.id, slotAt: { gt: from, lte: reached } },
          select: { slotAt: true },
        })
      ).map((s) => s.slotAt.getTime()),
    );
    const missing = slots.filter((t) => !recorded.has(t.getTime()));
    const live = missing.length > 0 ? await liveIntervals(tx, from, reached, 2 * sweepMs) : [];
    const rows = missing.map((slotAt) => {
      const base = { sourceId: source.sourceId, scheduleId: schedule.id, slotAt, policyId: source.policyId, kind: schedule.kind };
      if (source.paused) return { ...base, state: 'SKIPPED' as const, reason: SLOT_REASONS.paused };
      if (!inWindow(schedule, slotAt)) return { ...base, state: 'SKIPPED' as const, reason: SLOT_REASONS.outsideWindow };
      return { ...base, state: 'MISSED' as const, reason: covered(live, slotAt) ? SLOT_REASONS.notFired : SLOT_REASONS.noWorker };
    });
    if (rows.length > 0) await tx.scheduledSlot.createMany({ data: rows, skipDuplicates: true });
    await tx.scheduleCursor.update({
      where: { sourceId_scheduleId: { sourceId: source.sourceId, scheduleId: schedule.id } },
      data: { reconciledUntil: reached },
    });
    const missed = rows.filter((r) => r.state === 'MISSED');
    if (missed.length > 0) {
      // One event per pass, not per slot: a week's outage of a one-minute schedule is one line in the trail.
      await recordAudit(tx, SCHEDULER_ACTOR, {
        action: 'slot.missed',
        targetType: 'source',
        targetId: source.sourceId,
        details: {
          scheduleId: schedule.id,
          kind: schedule.kind,
          count: missed.length,
          first: missed[0]!.slotAt.toISOString(),
          last: missed[missed.length - 1]!.slotAt.toISOString(),
          reasons: [...new Set(missed.map((r) => r.reason))],
        },
      });
    }
    return { missed: missed.length, skipped: rows.length - missed.length };
  });
}

/** One reconciler pass over every (source, schedule); a failure on one is logged and does not stop the others. */
export async function reconcileSlots(sweepMs: number, now = new Date(), loaded?: ScheduledSource[]): Promise<{ missed: number; skipped: number }> {
  const total = { missed: 0, skipped: 0 };
  const sources = loaded ?? (await loadScheduledSources());
  // One read of every cursor first: most sweeps find no new slot past a schedule's cursor (a one-minute schedule has
  // one slot per six 10-second sweeps), and those need no transaction.
  const cursors = new Map(
    (await db().scheduleCursor.findMany({ where: { sourceId: { in: sources.map((s) => s.sourceId) } }, select: { sourceId: true, scheduleId: true, reconciledUntil: true } })).map(
      (c) => [`${c.sourceId}/${c.scheduleId}`, c.reconciledUntil],
    ),
  );
  for (const source of sources) {
    for (const schedule of source.schedules) {
      const cursor = cursors.get(`${source.sourceId}/${schedule.id}`);
      if (cursor && slotsIn(schedule, cursor, new Date(now.getTime() - graceMs(schedule, now))).length === 0) continue;
      try {
        const r = await reconcileSchedule(source, schedule, now, sweepMs);
        total.missed += r.missed;
        total.skipped += r.skipped;
        if (r.missed > 0) logger.warn({ sourceId: source.sourceId, scheduleId: schedule.id, missed: r.missed }, 'scheduler: slots missed');
      } catch (e) {
        logger.error({ err: e, sourceId: source.sourceId, scheduleId: schedule.id }, 'scheduler: reconciling failed');
      }
    }
  }
  return total;
}
