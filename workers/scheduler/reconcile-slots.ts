import { inWindow, MAX_SLOTS_PER_CALL, type StoredSchedule } from '@/server/policies/schedules';
import { recordAuditMany } from '@/server/audit/record-audit';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { insertSlots } from '@/server/scheduling/slot-rows';
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

type Due = { source: ScheduledSource; schedule: StoredSchedule };
// Schedules reconciled per transaction: a thousand one-minute schedules each pass a slot every minute, and one
// transaction apiece would be a thousand short transactions in the minute's busiest second.
const BATCH = 200;

/** `slotsIn`, remembered for the pass: a thousand sources on one cron ask the same question with the same cursor. */
function slotMemo(): (schedule: StoredSchedule, from: Date, to: Date) => Date[] {
  const memo = new Map<string, Date[]>();
  return (schedule, from, to) => {
    const key = `${schedule.timezone}\n${schedule.cron}\n${from.getTime()}\n${to.getTime()}`;
    let slots = memo.get(key);
    if (!slots) memo.set(key, (slots = slotsIn(schedule, from, to)));
    return slots;
  };
}

/**
 * Records every slot of each (source, schedule) of `items` between its cursor and now − grace that has no row:
 * SKIPPED when the policy is paused or the slot falls outside the window, else MISSED, because no worker was
 * running (by the heartbeats) or because the scheduler never fired. Then advances the cursors. One transaction for
 * the lot, with their cursor rows locked in one order, so two workers reconciling at once record each slot once (and
 * cannot deadlock); a fire racing it loses on the unique slot and starts nothing. Each schedule with missed slots gets
 * one `slot.missed` audit event for the pass.
 */
export async function reconcileSchedules(
  items: readonly Due[],
  now: Date,
  sweepMs: number,
  slots: (schedule: StoredSchedule, from: Date, to: Date) => Date[] = slotMemo(),
): Promise<Array<{ missed: number; skipped: number }>> {
  if (items.length === 0) return [];
  const sourceIds = items.map((d) => d.source.sourceId);
  const scheduleIds = items.map((d) => d.schedule.id);
  const starts = items.map((d) => firstReconcileFrom(d.source, now, sweepMs).toISOString());
  return db().$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO "ScheduleCursor" ("sourceId", "scheduleId", "reconciledUntil", "updatedAt")
      SELECT s, k, r, now() FROM unnest(${sourceIds}::uuid[], ${scheduleIds}::text[], ${starts}::timestamp[]) AS t(s, k, r)
      ON CONFLICT DO NOTHING`;
    const locked = await tx.$queryRaw<Array<{ sourceId: string; scheduleId: string; reconciledUntil: Date }>>`
      SELECT "sourceId"::text AS "sourceId", "scheduleId", "reconciledUntil" FROM "ScheduleCursor"
      WHERE ("sourceId", "scheduleId") IN (SELECT * FROM unnest(${sourceIds}::uuid[], ${scheduleIds}::text[]))
      ORDER BY "sourceId", "scheduleId" FOR UPDATE`;
    const cursorOf = new Map(locked.map((c) => [`${c.sourceId}/${c.scheduleId}`, c.reconciledUntil]));
    const plans = items.map((d) => {
      const until = new Date(now.getTime() - graceMs(d.schedule, now));
      const cursor = cursorOf.get(`${d.source.sourceId}/${d.schedule.id}`)!;
      const from = new Date(Math.max(cursor.getTime(), now.getTime() - RECONCILE_LOOKBACK_MS));
      if (until.getTime() <= from.getTime()) return null;
      // One page per pass (a week of one-minute slots): a longer backlog catches up over a few sweeps, never in one
      // huge transaction.
      const due = slots(d.schedule, from, until);
      const reached = due.length >= MAX_SLOTS_PER_CALL ? due[due.length - 1]! : until;
      return { ...d, from, reached, due };
    });
    const active = plans.filter((p): p is NonNullable<typeof p> => p !== null);
    if (active.length === 0) return items.map(() => ({ missed: 0, skipped: 0 }));
    const lo = new Date(Math.min(...active.map((p) => p.from.getTime())));
    const hi = new Date(Math.max(...active.map((p) => p.reached.getTime())));
    const recorded = new Set(
      (
        await tx.scheduledSlot.findMany({
          where: { sourceId: { in: [...new Set(active.map((p) => p.source.sourceId))] }, slotAt: { gt: lo, lte: hi } },
          select: { sourceId: true, scheduleId: true, slotAt: true },
        })
      ).map((r) => `${r.sourceId}/${r.scheduleId}/${r.slotAt.getTime()}`),
    );
    const missingOf = active.map((p) =>
      p.due.filter((t) => t.getTime() > p.from.getTime() && t.getTime() <= p.reached.getTime() && !recorded.has(`${p.source.sourceId}/${p.schedule.id}/${t.getTime()}`)),
    );
    const live = missingOf.some((m) => m.length > 0) ? await liveIntervals(tx, lo, hi, 2 * sweepMs) : [];
    const rowsOf = active.map((p, i) =>
      missingOf[i]!.map((slotAt) => {
        const base = { sourceId: p.source.sourceId, scheduleId: p.schedule.id, slotAt, policyId: p.source.policyId, kind: p.schedule.kind };
        if (p.source.paused) return { ...base, state: 'SKIPPED' as const, reason: SLOT_REASONS.paused };
        if (!inWindow(p.schedule, slotAt)) return { ...base, state: 'SKIPPED' as const, reason: SLOT_REASONS.outsideWindow };
        return { ...base, state: 'MISSED' as const, reason: covered(live, slotAt) ? SLOT_REASONS.notFired : SLOT_REASONS.noWorker };
      }),
    );
    const rows = rowsOf.flat();
    await insertSlots(tx, rows, { skipDuplicates: true });
    await tx.$executeRaw`UPDATE "ScheduleCursor" AS c SET "reconciledUntil" = t.r, "updatedAt" = now()
      FROM unnest(${active.map((p) => p.source.sourceId)}::uuid[], ${active.map((p) => p.schedule.id)}::text[], ${active.map((p) => p.reached.toISOString())}::timestamp[]) AS t(s, k, r)
      WHERE c."sourceId" = t.s AND c."scheduleId" = t.k`;
    // One event per schedule and pass, not per slot: a week's outage of a one-minute schedule is one line in the trail.
    const events = active.flatMap((p, i) => {
      const missed = rowsOf[i]!.filter((r) => r.state === 'MISSED');
      if (missed.length === 0) return [];
      return [
        {
          actor: SCHEDULER_ACTOR,
          input: {
            action: 'slot.missed' as const,
            targetType: 'source',
            targetId: p.source.sourceId,
            details: {
              scheduleId: p.schedule.id,
              kind: p.schedule.kind,
              count: missed.length,
              first: missed[0]!.slotAt.toISOString(),
              last: missed[missed.length - 1]!.slotAt.toISOString(),
              reasons: [...new Set(missed.map((r) => r.reason))],
            },
          },
        },
      ];
    });
    await recordAuditMany(tx, events);
    const byItem = new Map(active.map((p, i) => [p, rowsOf[i]!]));
    return plans.map((p) => {
      const rowsHere = p ? byItem.get(p)! : [];
      const missed = rowsHere.filter((r) => r.state === 'MISSED').length;
      return { missed, skipped: rowsHere.length - missed };
    });
  });
}

/**
 * One reconciler pass over every (source, schedule), in batches; a batch that fails is retried schedule by schedule,
 * so one bad schedule is logged and does not stop the others.
 */
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
  const slots = slotMemo();
  const due: Due[] = [];
  for (const source of sources) {
    for (const schedule of source.schedules) {
      const cursor = cursors.get(`${source.sourceId}/${schedule.id}`);
      if (cursor && slots(schedule, cursor, new Date(now.getTime() - graceMs(schedule, now))).length === 0) continue;
      due.push({ source, schedule });
    }
  }
  const add = (d: Due, r: { missed: number; skipped: number }) => {
    total.missed += r.missed;
    total.skipped += r.skipped;
    if (r.missed > 0) logger.warn({ sourceId: d.source.sourceId, scheduleId: d.schedule.id, missed: r.missed }, 'scheduler: slots missed');
  };
  for (let i = 0; i < due.length; i += BATCH) {
    const batch = due.slice(i, i + BATCH);
    try {
      (await reconcileSchedules(batch, now, sweepMs, slots)).forEach((r, j) => add(batch[j]!, r));
    } catch (e) {
      if (batch.length === 1) {
        logger.error({ err: e, sourceId: batch[0]!.source.sourceId, scheduleId: batch[0]!.schedule.id }, 'scheduler: reconciling failed');
        continue;
      }
      for (const d of batch) {
        try {
          add(d, (await reconcileSchedules([d], now, sweepMs, slots))[0]!);
        } catch (err) {
          logger.error({ err, sourceId: d.source.sourceId, scheduleId: d.schedule.id }, 'scheduler: reconciling failed');
        }
      }
    }
  }
  return total;
}
