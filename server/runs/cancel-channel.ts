import type { Redis } from 'ioredis';
import { z } from 'zod';
import { env } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { redisConnection } from '@/server/shared/redis';

/**
 * Cancel requests travel to the workers on one Redis channel (the run row's `cancelRequested` stays the truth; the
 * heartbeat still reads it, as the fallback when a message is lost). One channel for every run, so each worker
 * process needs one subscription whatever it runs; the message is the run id.
 */
export const cancelChannel = (): string => `${env().LIFEBOAT_QUEUE_PREFIX}:run-cancel`;

const CancelMessage = z.string().uuid();

/** The run id carried by a message on the cancel channel, or null for anything else. */
export function parseCancel(message: string): string | null {
  const parsed = CancelMessage.safeParse(message);
  return parsed.success ? parsed.data : null;
}

const holder = globalThis as typeof globalThis & { __lifeboatCancelPublisher?: Redis };

/**
 * Tells the workers, after the cancel request committed, to stop `runId` now. Best effort: a Redis failure is
 * logged and the worker still sees the request at its next heartbeat.
 */
export async function publishCancel(runId: string): Promise<void> {
  // One publisher per process, on globalThis so that Next's dev-mode module reloading does not open one per reload.
  holder.__lifeboatCancelPublisher ??= redisConnection('publisher');
  await holder.__lifeboatCancelPublisher
    .publish(cancelChannel(), runId)
    .catch((err: unknown) => logger.warn({ err, runId }, 'cancel publish failed; the worker will see it at its next heartbeat'));
}

/** Closes this process's cancel publisher (tests, CLI). */
export function closeCancelPublisher(): void {
  holder.__lifeboatCancelPublisher?.disconnect();
  holder.__lifeboatCancelPublisher = undefined;
}

/**
 * Subscribes `redis` (a connection of its own: a subscribed connection can do nothing else) to the cancel channel
 * and calls `onCancel` with each run id. Resolves once the subscription is live.
 */
export async function subscribeCancels(redis: Redis, onCancel: (runId: string) => void): Promise<void> {
  const channel = cancelChannel();
  redis.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    const runId = parseCancel(message);
    if (runId !== null) onCancel(runId);
  });
  await redis.subscribe(channel);
}
