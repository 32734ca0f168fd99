import { localSecondsOfDay, minutesOf } from '@/lib/schedule-time';
import type { StoredSchedule } from '@/server/policies/schedules';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { withTransaction } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { periodMs } from './schedule-times';
import { lockKey, SCHEDULER_ACTOR } from './scheduler-actor';
import { loadScheduledSources, type ScheduledSource } from './scheduled-sources';
import { startScheduledRun } from './start-scheduled-run';

// Without a window, a slot waits for its destination at most one period of its schedule (the next slot takes over
// then) and never more than an hour: long enough to outlast a neighbour's backup, short enough that the slot's
// record says "skipped" while the cause is still visible.
const MAX_WAIT_WITHOUT_WINDOW_MS = 3_600_000;
// Waiting slots tried per sweep, oldest first: a destination frees a few places per sweep, not thousands.
const WAITING_PER_SWEEP = 500;

/**
 * Until when a slot may wait for its destination to drop below `maxConcurrentPerDestination`: the end of the window
 * it falls in (read on the schedule's wall clock), or, without a window, one period of the schedule, at most an hour.
 */
export function waitDeadline(schedule: Pick<StoredSchedule, 'cron' | 'timezone' | 'window'>, slotAt: Date): Date {
  const end = schedule.window ? minutesOf(schedule.window.end) : null;
  if (end !== null) {
    const t = localSecondsOfDay(slotAt, schedule.timezone);
    const left = (((end * 60 - t) % 86_400) + 86_400) % 86_400 || 86_400;
    return new Date(slotAt.getTime() + left * 1000);
  }
  return new Date(slotAt.getTime() + Math.min(MAX_WAIT_WITHOUT_WINDOW_MS, periodMs(schedule, slotAt) ?? MAX_WAIT_WITHOUT_WINDOW_MS));
}

/**
 * The sweep's turn for slots waiting on their destination (SKIPPED "waiting: …", written by the fire): each is tried
 * again under its source's lock. Room at the destination → its run starts (trigger `schedule`) and the slot becomes
 * STARTED; the deadline passed → SKIPPED "destination at its concurrency limit for longer than the window"; the
 * policy paused meanwhile or the previous run of the source still going → SKIPPED with that reason. Safe with any
 * number of workers: the slot row is read again under the lock, and only a still-waiting row is changed.
 */
export async function startWaitingSlots(now = new Date(), loaded?: ScheduledSource[]): Promise<{ started: string[]; skipped: number }> {
  const result = { started: [] as string[], skipped: 0 };
  const waiting = await db().scheduledSlot.findMany({
    where: { state: 'SKIPPED', reason: SLOT_REASONS.destinationWaiting },
    orderBy: { slotAt: 'asc' },
    take: WAITING_PER_SWEEP,
    select: { id: true, sourceId: true, scheduleId: true, slotAt: true },
  });
  if (waiting.length === 0) return result;
  const sources = new Map((loaded ?? (await loadScheduledSources())).map((s) => [s.sourceId, s]));
  for (const slot of waiting) {
    const source = sources.get(slot.sourceId);
    const schedule = source?.schedules.find((s) => s.id === slot.scheduleId);
    try {
      const outcome = await withTransaction({ actor: SCHEDULER_ACTOR }, async (tx, ctx) => {
        await lockKey(tx, `source:${slot.sourceId}`);
        const row = await tx.scheduledSlot.findUnique({ where: { id: slot.id }, select: { state: true, reason: true } });
        if (!row || row.state !== 'SKIPPED' || row.reason !== SLOT_REASONS.destinationWaiting) return null;
        const settle = async (reason: string) => {
          await tx.scheduledSlot.update({ where: { id: slot.id }, data: { reason } });
          return { skipped: reason } as const;
        };
        // The schedule went away while the slot waited: nothing will start it; it stays skipped for the destination.
        if (!source || !schedule) return settle(SLOT_REASONS.destinationBusy);
        if (source.paused) return settle(SLOT_REASONS.paused);
        if (now.getTime() >= waitDeadline(schedule, slot.slotAt).getTime()) return settle(SLOT_REASONS.destinationBusy);
        const started = await startScheduledRun(ctx as typeof ctx & { tx: typeof tx }, source, schedule.kind, 'schedule', {
          scheduleId: schedule.id,
          slotAt: slot.slotAt.toISOString(),
          waitedSeconds: Math.max(0, Math.round((now.getTime() - slot.slotAt.getTime()) / 1000)),
        });
        if (!started.started) return started.reason === SLOT_REASONS.destinationBusy ? null : settle(started.reason);
        await tx.scheduledSlot.update({ where: { id: slot.id }, data: { state: 'STARTED', reason: null, runId: started.runId } });
        return { runId: started.runId } as const;
      });
      if (outcome && 'runId' in outcome && outcome.runId) result.started.push(outcome.runId);
      else if (outcome && 'skipped' in outcome) result.skipped += 1;
    } catch (e) {
      logger.error({ err: e, slotId: slot.id }, 'scheduler: starting a waiting slot failed');
    }
  }
  if (result.started.length > 0 || result.skipped > 0) logger.info(result, 'scheduler: waiting slots handled');
  return result;
}
