import type { Redis } from 'ioredis';
import { UnrecoverableError } from 'bullmq';
import type { Tx } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { isArtifactError } from '@/server/artifacts/errors';
import { isEngineError } from '@/server/engines/engine';
import { RUN_KINDS } from '@/server/runs/run-kinds';
import { heartbeatRun, releaseRun, retryRun, type ClaimedRun } from '@/server/runs/transitions';
import { claimRunBatched, finishRunBatched } from './batched-transitions';
import { RunContext } from './run-context';
import { enqueue } from '@/server/jobs/producer';
import { workerEnv } from '../worker-env';

// Heartbeat every 5 s; the reaper declares a run dead after LIFEBOAT_RUN_STALE_SECONDS (default 30 s = 6 missed beats).
export const HEARTBEAT_MS = workerEnv().LIFEBOAT_HEARTBEAT_MS;
const RETRY_BACKOFF_MS = workerEnv().LIFEBOAT_RUN_RETRY_BACKOFF_MS;

export interface HandlerResult {
  onCommit?: (tx: Tx) => Promise<void>;
  details?: Record<string, unknown>;
  /**
   * Runs after the run's SUCCEEDED transaction committed (enqueue follow-up jobs …). Its failure is logged, never
   * turns the finished run into a failure: follow-ups must be recoverable by a sweep.
   */
  afterCommit?: () => Promise<void>;
}
export type RunHandler = (run: ClaimedRun, ctx: RunContext) => Promise<HandlerResult>;

export type StopReason = 'cancelled' | 'lost' | 'shutdown';

export class RunAbort extends Error {
  constructor(readonly reason: StopReason) {
    super(`run stopped: ${reason}`);
  }
}

/** Active runs of this process, so shutdown and the cancel channel can stop them. */
export const activeRuns = new Map<string, { stop: (reason: StopReason) => void }>();

/** Stops one of this process's runs (cancel channel, shutdown); false when the run is not running here. */
export function stopRun(runId: string, reason: StopReason): boolean {
  const active = activeRuns.get(runId);
  active?.stop(reason);
  return active !== undefined;
}

/** Whether a failure may be tried again: only errors that say so (`retryable`), never a programming error. */
export function isRetryable(err: unknown): boolean {
  return (isEngineError(err) || isArtifactError(err)) && err.retryable;
}

/** Backoff before attempt `attempt + 1`: the base, doubled per attempt already spent. */
export const retryDelayMs = (attempt: number): number => RETRY_BACKOFF_MS * 2 ** Math.max(0, attempt - 1);

/**
 * Claims a run, keeps its heartbeat, lets the handler do the work, and ends the run through the state machine:
 * SUCCEEDED (with whatever the handler commits), back to QUEUED after a retryable failure with attempts left (run
 * kinds that allow it), FAILED with a readable error, CANCELLED on request, or back to QUEUED when this worker is
 * shutting down. A run that is not ours (claimed elsewhere, cancelled) is skipped.
 */
export async function executeRun(runId: string, workerId: string, redis: Redis, handler: RunHandler): Promise<void> {
  const run = await claimRunBatched(runId, workerId);
  if (!run) {
    logger.info({ runId }, 'run not claimable (taken, finished or cancelled); skipping');
    return;
  }
  const controller = new AbortController();
  const ctx = new RunContext(runId, controller.signal, redis);
  let stopReason: StopReason | null = null;
  // Once the handler has returned, the work is done and stored: a cancel or shutdown arriving now no longer aborts
  // (that would orphan the stored artifact); the run finishes and says the cancel came too late.
  let handlerDone = false;
  const stop = (reason: StopReason) => {
    if (stopReason || (handlerDone && reason !== 'lost')) return;
    stopReason = reason;
    controller.abort(new RunAbort(reason));
  };
  activeRuns.set(runId, { stop });

  const beat = setInterval(() => {
    heartbeatRun(runId, workerId, { phase: ctx.phase ?? undefined, bytesDone: ctx.bytesDone, bytesTotal: ctx.bytesTotal })
      .then((hb) => {
        if (!hb.owned) stop('lost');
        // The fallback for a cancel message this worker missed (Redis reconnecting, published before we subscribed).
        else if (hb.cancelRequested) stop('cancelled');
      })
      .catch((e: unknown) => logger.warn({ err: e, runId }, 'heartbeat failed'));
  }, HEARTBEAT_MS);

  try {
    await ctx.log('info', `attempt ${run.attempt} started on ${workerId}`);
    await ctx.publish('RUNNING');
    const result = await handler(run, ctx);
    handlerDone = true;
    if (stopReason) throw new RunAbort(stopReason);
    clearInterval(beat);
    const finished = await finishRunBatched(runId, workerId, {
      status: 'SUCCEEDED',
      onCommit: result.onCommit,
      details: result.details,
      bytesDone: ctx.bytesDone,
      bytesTotal: ctx.bytesTotal,
    });
    ctx.phase = 'succeeded';
    if (result.afterCommit) await result.afterCommit().catch((e: unknown) => logger.warn({ err: e, runId }, 'after-commit step failed; the sweep will catch up'));
    if (finished.cancelRequested) await ctx.log('warn', 'finished before the cancel arrived: the run had already completed, so its result was kept');
    await ctx.log('info', 'run succeeded');
    await ctx.publish('SUCCEEDED');
  } catch (err) {
    clearInterval(beat);
    const reason: StopReason | null = stopReason;
    if (reason === 'lost') {
      logger.warn({ runId }, 'run was taken from this worker; abandoning without writing');
      return;
    }
    if (reason === 'shutdown') {
      const released = await releaseRun(runId, workerId, 'worker shutting down');
      if (released) await enqueue(RUN_KINDS[run.kind].jobName, { runId }, released.jobGeneration);
      await ctx.publish('QUEUED');
      return;
    }
    if (reason === 'cancelled') {
      ctx.phase = 'cancelled';
      await finishRunBatched(runId, workerId, { status: 'CANCELLED', error: 'cancelled on request' }).catch(logFinishError(runId));
      await ctx.log('warn', 'run cancelled on request');
      await ctx.publish('CANCELLED');
      return;
    }
    const message = errorMessage(err);
    if (RUN_KINDS[run.kind].retriesFailures && isRetryable(err) && run.attempt < run.maxAttempts) {
      const delay = retryDelayMs(run.attempt);
      const retried = await retryRun(runId, workerId, { error: message, retryInMs: delay }).catch((e: unknown) => {
        logFinishError(runId)(e);
        return null;
      });
      if (retried) {
        ctx.phase = 'retrying';
        await enqueue(RUN_KINDS[run.kind].jobName, { runId }, retried.jobGeneration, delay);
        await ctx.publish('QUEUED', undefined, message);
        return;
      }
    }
    ctx.phase = 'failed';
    await ctx.log('error', message).catch(() => undefined);
    await finishRunBatched(runId, workerId, { status: 'FAILED', error: message, bytesDone: ctx.bytesDone, bytesTotal: ctx.bytesTotal }).catch(logFinishError(runId));
    await ctx.publish('FAILED', undefined, message);
    // The run row already says FAILED; BullMQ must not retry the job on its own.
    throw new UnrecoverableError(message);
  } finally {
    clearInterval(beat);
    activeRuns.delete(runId);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function logFinishError(runId: string) {
  return (e: unknown) => logger.error({ err: e, runId }, 'could not record the end of the run');
}
