/**
 * The reasons a slot is recorded with (ScheduledSlot.reason), fixed phrases so the API, the SLO figures and the
 * overview can group by them; docs/OPERATIONS.md ("Missed slots") explains each.
 */
export const SLOT_REASONS = {
  /** MISSED: no worker process was alive (by its catalog heartbeat) at the slot time. */
  noWorker: 'no worker was running',
  /** MISSED: workers were alive but the slot never fired (Redis lost the job scheduler, or the fire failed). */
  notFired: 'not fired: the job scheduler was missing (Redis restarted or flushed?) or the fire failed',
  /** MISSED: the fire arrived more than the grace after the slot (workers overloaded, or back from an outage). */
  late: 'fired too late',
  /** SKIPPED: the policy was paused. */
  paused: 'policy paused',
  /** SKIPPED: the slot falls outside the schedule's window. */
  outsideWindow: 'outside the window',
  /** SKIPPED: the source's previous run of the same kind was still queued or running. */
  overlap: 'overlap: the previous run of the source is still queued or running',
  /**
   * SKIPPED for now: the destination has `maxConcurrentPerDestination` scheduled runs queued or running, so the slot
   * waits (until its window ends, or a bounded time without a window: workers/scheduler/waiting-slots.ts); every
   * sweep tries it again, and it becomes STARTED with its run once the destination has room.
   */
  destinationWaiting: 'waiting: destination at its concurrency limit',
  /** SKIPPED: the destination stayed at its concurrency limit for the whole wait (the window, or the bounded time). */
  destinationBusy: 'destination at its concurrency limit for longer than the window',
  /** SKIPPED: a verify schedule on a source without any recovery point. */
  nothingToVerify: 'no recovery point to verify',
} as const;
export type SlotReason = (typeof SLOT_REASONS)[keyof typeof SLOT_REASONS];
