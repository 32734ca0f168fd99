import type { Redis } from 'ioredis';
import { Batcher } from '@/server/shared/batcher';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { publishProgress, type RunProgressEvent } from '@/server/runs/progress';
import type { RunStatus } from '@/server/runs/state-machine';

// Publish progress at most twice a second: smooth enough for a progress bar, cheap for Redis.
const PUBLISH_INTERVAL_MS = 500;

type LogLine = { runId: string; level: string; message: string; at: Date };
let lines: Batcher<LogLine, null> | undefined;
/**
 * The run log lines of this process, written a batch per insert: a burst of runs (a minute boundary of many
 * schedules) logs four lines each, and one statement per line would be most of their catalog work. A line's caller
 * still waits until its line is stored; one run's lines stay in order (each waits for the one before).
 */
function logLines(): Batcher<LogLine, null> {
  lines ??= new Batcher(
    async (batch) => {
      await db().runLog.createMany({ data: batch });
      return batch.map(() => null);
    },
    { maxBatch: 200, lingerMs: 1 },
  );
  return lines;
}

/** What a job handler sees: cancellation, progress and log lines (persisted and published live). */
export class RunContext {
  phase: string | null = 'starting';
  bytesDone = 0;
  bytesTotal: number | null = null;
  private lastPublish = 0;
  private rateSample = { at: Date.now(), bytes: 0 };
  private rate: number | null = null;

  constructor(
    readonly runId: string,
    readonly signal: AbortSignal,
    private readonly redis: Redis,
  ) {}

  progress(update: { phase?: string; bytesDone?: number; bytesTotal?: number | null }): void {
    if (update.phase !== undefined) this.phase = update.phase;
    if (update.bytesDone !== undefined) this.bytesDone = update.bytesDone;
    if (update.bytesTotal !== undefined) this.bytesTotal = update.bytesTotal;
    const now = Date.now();
    if (now - this.lastPublish >= PUBLISH_INTERVAL_MS || update.phase !== undefined) {
      const dt = (now - this.rateSample.at) / 1000;
      if (dt > 0.2) {
        this.rate = Math.max(0, (this.bytesDone - this.rateSample.bytes) / dt);
        this.rateSample = { at: now, bytes: this.bytesDone };
      }
      this.lastPublish = now;
      void this.publish('RUNNING');
    }
  }

  async log(level: 'info' | 'warn' | 'error', message: string): Promise<void> {
    logger[level]({ runId: this.runId }, message);
    // Stamped now, written with the lines other runs of this process log at the same moment (one insert).
    const at = new Date();
    await logLines().submit({ runId: this.runId, level, message, at });
    await this.publish('RUNNING', { level, message, at: at.toISOString() });
  }

  async publish(status: RunStatus, log?: RunProgressEvent['log'], error?: string | null): Promise<void> {
    const event: RunProgressEvent = {
      runId: this.runId,
      status,
      phase: this.phase,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      rate: this.rate,
      log,
      error: error ?? null,
      at: new Date().toISOString(),
    };
    // Progress is best effort: a Redis hiccup must never fail a backup.
    await publishProgress(this.redis, event).catch((e: unknown) => logger.warn({ err: e, runId: this.runId }, 'progress publish failed'));
  }
}
