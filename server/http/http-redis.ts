import type { Redis } from 'ioredis';
import { env } from '@/server/shared/env';
import { redisConnection } from '@/server/shared/redis';

// One connection per web process for the request path's own keys (rate limits, idempotency records), on globalThis
// so that Next's dev-mode module reloading does not open one per reload.
const holder = globalThis as typeof globalThis & { __lifeboatHttpRedis?: Redis };

/** The web process's connection for rate limits and idempotency records (a producer's: it gives up, never hangs). */
export function httpRedis(): Redis {
  holder.__lifeboatHttpRedis ??= redisConnection('producer');
  return holder.__lifeboatHttpRedis;
}

/** `<LIFEBOAT_QUEUE_PREFIX>:<parts…>`: this installation's (or this test's) namespace, beside the queues. */
export function httpKey(...parts: string[]): string {
  return [env().LIFEBOAT_QUEUE_PREFIX, ...parts].join(':');
}

/** Closes this process's connection (tests, CLI). */
export function closeHttpRedis(): void {
  holder.__lifeboatHttpRedis?.disconnect();
  holder.__lifeboatHttpRedis = undefined;
}

/** `promise`, or a rejection after `ms`: a request never waits long on a Redis that does not answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
