import type { JobPayload } from '@/server/jobs/contracts';
import { inWindow } from '@/server/policies/schedules';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { withTransaction } from '@/server/shared/context';
import { logger } from '@/server/shared/logger';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { graceMs, previousSlot } from './schedule-times';
import { lockKey, SCHEDULER_ACTOR } from './scheduler-actor';
import { loadScheduledSource } from './scheduled-sources';
import { startScheduledRun } from './start-scheduled-run';
import { covered, liveIntervals } from './worker-heartbeat';

/** What BullMQ hands the handler of a produced job, enough to tell which fire time it stands for. */
export interface FiredJob {
  id?: string | null;
  timestamp?: number;
  delay?: number;
  opts?: { prevMillis?: number };
}

/**
 * The time a job scheduler meant this job to fire: BullMQ stamps `opts.prevMillis` with the iteration's computed time
 * and builds the id `repeat:<schedulerId>:<that time>`; the creation time plus delay is the last resort. Never the
 * time the worker got it, which is late by however long the queue or an outage held it.
 */
export function fireTimeOf(job: FiredJob): Date | null {
  if (typeof job.opts?.prevMillis === 'number' && job.opts.prevMillis > 0) return new Date(job.opts.prevMillis);
  const fromId = /^repeat:.*:(\d+)$/.exec(job.id ?? '')?.[1];
  if (fromId) return new Date(Number(fromId));
  if (typeof job.timestamp === 'number') return new Date(job.timestamp + (job.delay ?? 0));
  return null;
}

export type FireOutcome =
  | { outcome: 'started'; slotAt: Date; runId: string | null }
  | { outcome: 'skipped' | 'missed'; slotAt: Date; reason: string }
  | { outcome: 'duplicate'; slotAt: Date }
  | { outcome: 'gone' };

/**
 * Handles one `schedule.fire`: rounds the fire time to its slot, then in one transaction records the slot and,
 * unless it is skipped, creates its run (trigger `schedule`). The slot row is unique per (source, schedule, time),
 * so a duplicate fire (two workers, a retried job, a re-created scheduler) inserts nothing and starts nothing.
 * A fire later than the schedule's grace starts nothing either: the slot is recorded MISSED (the reconciler would
 * record it so by then) and the catch-up decides whether a backup is owed.
 */
export async function fireSlot(payload: JobPayload<'schedule.fire'>, job: FiredJob, opts: { sweepMs: number }, now = new Date()): Promise<FireOutcome> {
  const source = await loadScheduledSource(payload.sourceId);
  const schedule = source?.schedules.find((s) => s.id === payload.scheduleId);
  // The schedule, the source or its policy went away since the scheduler was made: the next sync removes it.
  if (!source || !schedule) return { outcome: 'gone' };
  const firedAt = fireTimeOf(job) ?? now;
  const slotAt = previousSlot(schedule, firedAt);
  if (!slotAt) return { outcome: 'gone' };

  try {
    return await withTransaction({ actor: SCHEDULER_ACTOR }, async (tx, ctx) => {
      await lockKey(tx, `source:${source.sourceId}`);
      const key = { sourceId: source.sourceId, scheduleId: schedule.id, slotAt };
      const existing = await tx.scheduledSlot.findUnique({ where: { sourceId_scheduleId_slotAt: key }, select: { id: true } });
      if (existing) return { outcome: 'duplicate', slotAt } as const;
      const row = { ...key, policyId: source.policyId, kind: schedule.kind };

      let skip: string | null = null;
      if (source.paused) skip = SLOT_REASONS.paused;
      else if (!inWindow(schedule, slotAt)) skip = SLOT_REASONS.outsideWindow;
      else if (now.getTime() - slotAt.getTime() > graceMs(schedule, slotAt)) {
        const tolerance = 2 * opts.sweepMs;
        const live = await liveIntervals(tx, slotAt, slotAt, tolerance);
        const reason = covered(live, slotAt) ? `${SLOT_REASONS.late} (${Math.round((now.getTime() - slotAt.getTime()) / 1000)} s after the slot)` : SLOT_REASONS.noWorker;
        await tx.scheduledSlot.create({ data: { ...row, state: 'MISSED', reason } });
        return { outcome: 'missed', slotAt, reason } as const;
      }
      if (skip) {
        await tx.scheduledSlot.create({ data: { ...row, state: 'SKIPPED', reason: skip } });
        return { outcome: 'skipped', slotAt, reason: skip } as const;
      }
      const started = await startScheduledRun(ctx as typeof ctx & { tx: typeof tx }, source, schedule.kind, 'schedule', {
        scheduleId: schedule.id,
        slotAt: slotAt.toISOString(),
      });
      if (!started.started) {
        await tx.scheduledSlot.create({ data: { ...row, state: 'SKIPPED', reason: started.reason } });
        return { outcome: 'skipped', slotAt, reason: started.reason } as const;
      }
      await tx.scheduledSlot.create({ data: { ...row, state: 'STARTED', runId: started.runId } });
      return { outcome: 'started', slotAt, runId: started.runId } as const;
    });
  } catch (e) {
    // Another worker recorded this slot between our look and our insert: its decision stands, and ours rolled back.
    if (isUniqueViolation(e)) return { outcome: 'duplicate', slotAt };
    throw e;
  } finally {
    logger.debug({ sourceId: source.sourceId, scheduleId: schedule.id, slotAt }, 'scheduler: slot fired');
  }
}
