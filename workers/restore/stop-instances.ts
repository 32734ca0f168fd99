import type { Redis } from 'ioredis';
import type { EngineRegistry } from '@/server/engines/registry';
import { subscribeStops } from '@/server/runs/stop-channel';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';

// The fallback for a stop message this process never got (its subscriber was reconnecting, or the web could not
// publish): the catalog's `stoppedAt` is the truth. Five minutes bounds how long a lost stop leaves an instance up,
// at the cost of one small query per worker per period.
const SWEEP_MS = 5 * 60_000;
// A scratch instance lives at most a day (the Redis engine's MAX_SCRATCH_TTL_SECONDS); an hour more covers clock skew.
const LOOKBACK_MS = 25 * 3_600_000;

interface StopCandidate {
  id: string;
  result: unknown;
  workerId: string | null;
  kind: string;
}

/**
 * Stops what a finished restore of THIS worker process left running (a scratch Redis) when `POST /runs/{id}/stop`
 * asks: on the stop channel at once, and by a sweep of the catalog's `result.stoppedAt` on every resubscribe and every
 * five minutes. Only the process that ran the restore (the run's `workerId`) holds the instance; the engine's
 * `stopRestored` stops it if this process runs exactly what the result names. Returns the function that stops the
 * sweep (the subscriber connection is the caller's).
 */
export async function startInstanceStopper(options: { workerId: string; engines: EngineRegistry; subscriber: Redis }): Promise<() => void> {
  const { workerId, engines, subscriber } = options;

  const stop = async (run: StopCandidate, via: string) => {
    if (run.workerId !== workerId || !engines.isKind(run.kind)) return;
    const engine = engines.get(run.kind);
    const result = run.result;
    if (engine.stopRestored === undefined || result === null || typeof result !== 'object' || Array.isArray(result)) return;
    if (typeof (result as Record<string, unknown>).stoppedAt !== 'string') return;
    try {
      if (await engine.stopRestored(result as Record<string, unknown>)) {
        logger.info({ runId: run.id, address: (result as Record<string, unknown>).address, via }, 'stopped the instance a restore left running, as requested');
      }
    } catch (err) {
      logger.warn({ err, runId: run.id }, 'could not stop the instance a restore left running');
    }
  };

  const onMessage = (runId: string) => {
    void db()
      .run.findUnique({ where: { id: runId }, select: { id: true, result: true, workerId: true, source: { select: { kind: true } } } })
      .then((run) => (run ? stop({ id: run.id, result: run.result, workerId: run.workerId, kind: run.source.kind }, 'stop request') : undefined))
      .catch((err: unknown) => logger.warn({ err, runId }, 'stop request: could not read the run'));
  };

  const sweep = async () => {
    const since = new Date(Date.now() - LOOKBACK_MS);
    const runs = await db().$queryRaw<StopCandidate[]>`
      SELECT r.id, r.result, r."workerId", s.kind
      FROM "Run" r JOIN "Source" s ON s.id = r."sourceId"
      WHERE r."workerId" = ${workerId} AND r.kind = 'RESTORE' AND r.status = 'SUCCEEDED'
        AND r."finishedAt" > ${since} AND r.result->>'stoppedAt' IS NOT NULL`;
    for (const run of runs) await stop(run, 'sweep');
  };
  const sweepSafely = () => void sweep().catch((err: unknown) => logger.warn({ err }, 'stop sweep failed; trying again at the next one'));

  await subscribeStops(subscriber, onMessage);
  // ioredis resubscribes by itself after a reconnect; what was published meanwhile is lost, so look it up.
  let connectedOnce = subscriber.status === 'ready';
  subscriber.on('ready', () => {
    if (connectedOnce) sweepSafely();
    connectedOnce = true;
  });
  const timer = setInterval(sweepSafely, SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
