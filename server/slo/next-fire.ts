import { inWindow, nextRuns, storedSchedules, type ScheduleTiming } from '@/server/policies/schedules';

export interface ScheduleOutlook {
  /** Backup schedules on the policy. */
  backupSchedules: number;
  /** The next time a backup schedule fires inside its window; null when none ever does. */
  nextBackupAt: Date | null;
  /** The next time any schedule (backup, verify, prune) fires inside its window. */
  nextRunAt: Date | null;
}

// A fire outside its window is recorded SKIPPED, so look further: 2000 fires cover a day of a one-minute schedule
// (1440) whatever its window, and stop a schedule whose window it never meets from looping.
const MAX_FIRES_SCANNED = 2_000;
// Fire times asked of croner at once while scanning for one inside the window.
const FIRES_PER_BATCH = 100;

/** Reads `Policy.schedules` (JSON, as the policy verbs stored it) and says when the next backup, and the next run of any kind, fires. */
export function scheduleOutlook(rawSchedules: unknown, now: Date): ScheduleOutlook {
  let backupSchedules = 0;
  let nextBackupAt: Date | null = null;
  let nextRunAt: Date | null = null;
  for (const schedule of storedSchedules(rawSchedules)) {
    const next = nextFireInWindow(schedule, now);
    if (schedule.kind === 'backup') {
      backupSchedules++;
      if (next && (!nextBackupAt || next < nextBackupAt)) nextBackupAt = next;
    }
    if (next && (!nextRunAt || next < nextRunAt)) nextRunAt = next;
  }
  return { backupSchedules, nextBackupAt, nextRunAt };
}

/** The first fire strictly after `after` that falls inside the schedule's window (any fire, without a window). */
export function nextFireInWindow(schedule: ScheduleTiming, after: Date): Date | null {
  let from = after;
  try {
    for (let scanned = 0; scanned < MAX_FIRES_SCANNED; scanned += FIRES_PER_BATCH) {
      const fires = nextRuns(schedule, from, FIRES_PER_BATCH);
      const inside = fires.find((at) => inWindow(schedule, at));
      if (inside) return inside;
      if (fires.length < FIRES_PER_BATCH) return null; // the cron stops firing
      from = fires[fires.length - 1]!;
    }
    return null;
  } catch {
    return null; // a cron or time zone the policy verbs would refuse today: an older row does not count as firing
  }
}
