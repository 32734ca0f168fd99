import { logger } from '@/server/shared/logger';

/** Work a worker repeats on its own, declared once (workers/jobs.ts) and driven by one scheduler. */
export interface RecurringTask {
  name: string;
  /** 0 turns the task off. */
  everySeconds: number;
  /**
   * Runs at most once per `everySeconds` bucket of the wall clock, in every worker process: work that must happen
   * once across all workers makes that so itself (e.g. BullMQ job ids derived from `now`'s bucket).
   */
  run: (now: Date) => Promise<unknown>;
}

/** The wall-clock bucket `now` falls in for a period; every worker computes the same one. */
export const bucketOf = (now: Date, everySeconds: number): number => Math.floor(now.getTime() / (everySeconds * 1000));

/**
 * Starts the recurring tasks: every `tickMs` each task whose bucket changed since its last success runs, unless its
 * previous run is still going (so a slow sweep never overlaps itself). A failure is logged and retried next tick.
 * Returns the stop function.
 */
export function startRecurring(tasks: readonly RecurringTask[], tickMs: number): () => void {
  const state = tasks
    .filter((t) => t.everySeconds > 0)
    .map((task) => ({ task, doneBucket: null as number | null, running: false }));
  const tick = () => {
    const now = new Date();
    for (const s of state) {
      const bucket = bucketOf(now, s.task.everySeconds);
      if (s.running || bucket === s.doneBucket) continue;
      s.running = true;
      s.task
        .run(now)
        .then(() => (s.doneBucket = bucket))
        .catch((e: unknown) => logger.error({ err: e, task: s.task.name }, 'recurring task failed'))
        .finally(() => (s.running = false));
    }
  };
  const timer = setInterval(tick, tickMs);
  return () => clearInterval(timer);
}
