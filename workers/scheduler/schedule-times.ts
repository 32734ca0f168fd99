import { nextRuns, slotsBetween, type ScheduleTiming } from '@/server/policies/schedules';

// A fire is waited for up to one period of its schedule, and never more than a minute: BullMQ delivers a due job
// within milliseconds, so a minute covers a busy worker; a second-level test schedule gets its own period.
const MAX_GRACE_MS = 60_000;
// The furthest back a slot is looked for (the reconciler's own look-back is shorter); beyond this a fire is nonsense.
const MAX_LOOKBACK_MS = 8 * 86_400_000;

/** Slot times in (from, to], oldest first, at most the helper's page (MAX_SLOTS_PER_CALL): page on from the last. */
export function slotsIn(schedule: ScheduleTiming, from: Date, to: Date): Date[] {
  return slotsBetween(schedule, from, to);
}

/**
 * The latest slot at or before `at` (null if none in the look-back): the slot a fire at `at` belongs to. BullMQ stamps
 * a produced job with its own computed fire time; rounding it through the schedule's helpers means a fire time that
 * BullMQ's cron library places a few ms off still lands on the slot the reconciler expects.
 */
export function previousSlot(schedule: ScheduleTiming, at: Date): Date | null {
  const exact = nextRuns(schedule, new Date(at.getTime() - 1), 1)[0];
  if (exact && exact.getTime() === at.getTime()) return exact;
  // Widen the look-back until a slot shows up: cheap for second-level and weekly schedules alike.
  for (let span = 1_000; ; span = Math.min(span * 4, MAX_LOOKBACK_MS)) {
    const slots = slotsIn(schedule, new Date(at.getTime() - span), at);
    if (slots.length > 0) return slots[slots.length - 1]!;
    if (span === MAX_LOOKBACK_MS) return null;
  }
}

/** The gap between the next two slots after `at` (a schedule's period near that time). */
export function periodMs(schedule: ScheduleTiming, at: Date): number | null {
  const [a, b] = nextRuns(schedule, at, 2);
  return a && b ? b.getTime() - a.getTime() : null;
}

/** How late a fire may arrive and still start its run; the reconciler records only slots older than this. */
export function graceMs(schedule: ScheduleTiming, at: Date): number {
  return Math.min(MAX_GRACE_MS, periodMs(schedule, at) ?? MAX_GRACE_MS);
}
