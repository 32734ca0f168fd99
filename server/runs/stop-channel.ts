import type { Redis } from 'ioredis';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';
import { parseCancel } from './cancel-channel';

/**
 * Requests to stop what a finished restore left running (a scratch Redis) travel to the workers on one Redis
 * channel, as cancels do: only the worker process that ran the restore holds the instance, so the web publishes and
 * that worker stops it. The run's `result.stoppedAt` (written by `stopRunInstance` before the publish) stays the
 * truth: a worker whose subscriber missed a message finds the request there (workers/restore/stop-instances.ts).
 * The message is the run id, nothing else.
 */
export const stopChannel = (): string => `${env().LIFEBOAT_QUEUE_PREFIX}:run-stop`;

const holder = globalThis as typeof globalThis & { __lifeboatStopPublisher?: Redis };

/**
 * Tells the workers, after the stop committed, to stop what run `runId` left running. Best effort: a Redis failure is
 * logged, and the owning worker's sweep still finds the request.
 */
export async function publishStop(runId: string): Promise<void> {
  // One publisher per process, on globalThis so that Next's dev-mode module reloading does not open one per reload.
  holder.__lifeboatStopPublisher ??= redisConnection('publisher');
  await holder.__lifeboatStopPublisher
    .publish(stopChannel(), runId)
    .catch((err: unknown) => logger.warn({ err, runId }, 'stop publish failed; the worker finds the request at its next sweep'));
}

/** Closes this process's stop publisher (tests, CLI). */
export function closeStopPublisher(): void {
  holder.__lifeboatStopPublisher?.disconnect();
  holder.__lifeboatStopPublisher = undefined;
}

/**
 * Subscribes `redis` (a connection of its own) to the stop channel and calls `onStop` with each run id. Resolves once
 * the subscription is live.
 */
export async function subscribeStops(redis: Redis, onStop: (runId: string) => void): Promise<void> {
  const channel = stopChannel();
  redis.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    // The same message shape as a cancel: a run id.
    const runId = parseCancel(message);
    if (runId !== null) onStop(runId);
  });
  await redis.subscribe(channel);
}
