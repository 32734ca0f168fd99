import { SCHEDULER_ID_PREFIX, patternSchedulerId, type JobPayload } from '@/server/jobs/contracts';
import { jobSchedulers } from '@/server/jobs/producer';
import { logger } from '@/server/shared/logger';
import { loadScheduledSources, type ScheduledSource } from './scheduled-sources';

interface Expected {
  id: string;
  pattern: string;
  tz: string;
  data: JobPayload<'schedule.fire'>;
}

// Template options of every fire job. Three attempts 1 s apart ride out a catalog blip: the slot row is unique, so
// a retried fire can never make a second run. A day of finished fire jobs is kept for debugging, as for runs.
const FIRE_JOB_OPTS = {
  attempts: 3,
  backoff: { type: 'fixed', delay: 1_000 },
  removeOnComplete: { age: 86_400, count: 1000 },
  removeOnFail: { age: 86_400, count: 1000 },
};

/**
 * Makes Redis hold exactly the job schedulers the catalog asks for: one per cron pattern and time zone used by a
 * schedule of a source whose policy is not paused, id `sched:cron:<digest>` (patternSchedulerId), producing
 * `schedule.fire { cron, timezone }`; the fire records the slots of every schedule with that pattern
 * (fire-pattern.ts). One scheduler per pattern, not per (source, schedule): a minute boundary with a thousand
 * schedules is one job for BullMQ to deliver, not a thousand. Run by every worker at start and every sweep: upserts
 * are idempotent, so any number of workers converge on the same set, and a Redis that lost its keys (restart without
 * persistence, FLUSHALL) has them back within one sweep. Only missing or changed schedulers are written; `sched:`
 * schedulers nothing asks for (a pattern no longer used, the per-source schedulers of older versions) are removed.
 */
export async function syncSchedulers(sources?: ScheduledSource[]): Promise<{ upserted: number; removed: number }> {
  const expected = new Map<string, Expected>();
  for (const source of sources ?? (await loadScheduledSources())) {
    if (source.paused) continue;
    for (const schedule of source.schedules) {
      const id = patternSchedulerId(schedule.cron, schedule.timezone);
      if (!expected.has(id)) expected.set(id, { id, pattern: schedule.cron, tz: schedule.timezone, data: { cron: schedule.cron, timezone: schedule.timezone } });
    }
  }
  const queue = jobSchedulers();
  const existing = new Map((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
  let upserted = 0;
  let removed = 0;
  for (const want of expected.values()) {
    const have = existing.get(want.id);
    // `next` missing means the scheduler's next job is gone (a partial loss): the upsert puts it back.
    if (have && have.pattern === want.pattern && have.tz === want.tz && have.name === 'schedule.fire' && typeof have.next === 'number' && !Number.isNaN(have.next)) continue;
    await queue.upsertJobScheduler(want.id, { pattern: want.pattern, tz: want.tz }, { name: 'schedule.fire', data: want.data, opts: FIRE_JOB_OPTS });
    upserted += 1;
  }
  for (const key of existing.keys()) {
    if (!key.startsWith(SCHEDULER_ID_PREFIX) || expected.has(key)) continue;
    await queue.removeJobScheduler(key);
    removed += 1;
  }
  if (upserted > 0 || removed > 0) logger.info({ upserted, removed, schedulers: expected.size }, 'scheduler: job schedulers synced');
  return { upserted, removed };
}
