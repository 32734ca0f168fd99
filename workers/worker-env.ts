import { z } from 'zod';

/** A whole number from the environment, `fallback` when unset; anything else stops the worker with a readable error. */
const whole = (fallback: number, min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number (at least ${min})` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }))
    .optional()
    .transform((value) => value ?? fallback);

/**
 * The worker's tuning knobs (README, "Configuration"). Parsed once at start: a typo such as
 * `LIFEBOAT_PRUNE_INTERVAL_SECONDS=1h` must stop the worker with a message, not silently turn pruning off.
 */
const WorkerEnv = z.object({
  // Two runs at once per worker: dumps are mostly I/O-bound, and this machine class has 2 cores.
  LIFEBOAT_WORKER_CONCURRENCY: whole(2, 1),
  // A run is declared dead after 30 s without a heartbeat (6 missed 5 s beats): quick recovery, no false alarms on GC pauses.
  LIFEBOAT_RUN_STALE_SECONDS: whole(30, 1),
  LIFEBOAT_HEARTBEAT_MS: whole(5_000, 100),
  // Sweep for dead runs every 10 s, so a dead worker's run is retried at most ~40 s after its last heartbeat.
  LIFEBOAT_SWEEP_MS: whole(10_000, 100),
  // A run failed by a transient error waits 15 s × 2^(attempt-1) before its next attempt (15 s, 30 s): long enough
  // for a restarting database or a flapping link to come back, short enough that a backup gives up within a minute.
  LIFEBOAT_RUN_RETRY_BACKOFF_MS: whole(15_000, 0),
  // On SIGTERM, let running jobs finish for 20 s, then hand them back to the queue (orchestrators kill at 30 s).
  LIFEBOAT_SHUTDOWN_GRACE_SECONDS: whole(20, 0),
  // Prune each source with retention once an hour: backups land at most every few hours, so an hour-late deletion
  // costs nothing, while each prune re-reads every point of the source. 0 turns the periodic prune off: sources are
  // then pruned only on demand (`POST /sources/{id}/prune`), e.g. by the e2e suite, which must not race a sweep.
  LIFEBOAT_PRUNE_INTERVAL_SECONDS: whole(3600, 0),
  // Re-enqueue copies idle for 5 min: longer than a job's own retries with backoff (~75 s), so the sweep only picks up
  // copies whose job was lost or gave up.
  LIFEBOAT_COPY_RETRY_IDLE_SECONDS: whole(300, 1),
  // A queued run untouched this long is checked for its job (lost with a Redis restart or FLUSHALL, or an enqueue that
  // failed after commit) and re-enqueued if the job is gone. The job is looked up first, so a run merely waiting in
  // a backlog keeps its place; 30 s leaves an after-commit enqueue all the time it needs, even on a loaded machine.
  LIFEBOAT_ORPHAN_QUEUED_SECONDS: whole(30, 1),
  // Verify the audit chain and anchor its head on the destinations once a day: a truncation or an old catalog shows
  // within a day, and one walk of the chain a day costs little. 0 turns it off (the API and CLI still verify).
  LIFEBOAT_AUDIT_CHECK_INTERVAL_SECONDS: whole(86_400, 0),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** Parses `source` (default: process.env); throws one readable error naming every bad variable and its value. */
export function parseWorkerEnv(source: Record<string, string | undefined>): WorkerEnv {
  const parsed = WorkerEnv.safeParse(source);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}=${JSON.stringify(source[String(i.path[0])])}: ${i.message}`).join('; ');
    throw new Error(`Invalid worker environment: ${msg}`);
  }
  return parsed.data;
}

let cached: WorkerEnv | undefined;

export function workerEnv(): WorkerEnv {
  cached ??= parseWorkerEnv(process.env);
  return cached;
}
