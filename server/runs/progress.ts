import type { Redis } from 'ioredis';
import { z } from 'zod';
import { env } from '@/server/shared/env';

/** What a worker publishes while a run is under way, and what the SSE route forwards to browsers. */
export const RunProgressEvent = z.object({
  runId: z.string(),
  status: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  phase: z.string().nullable(),
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  /** Bytes per second over the last sampling window. */
  rate: z.number().nullable(),
  log: z.object({ level: z.string(), message: z.string(), at: z.string() }).optional(),
  error: z.string().nullable().optional(),
  at: z.string(),
});
export type RunProgressEvent = z.infer<typeof RunProgressEvent>;

export const progressChannel = (runId: string): string => `${env().LIFEBOAT_QUEUE_PREFIX}:run-progress:${runId}`;

export async function publishProgress(redis: Redis, event: RunProgressEvent): Promise<void> {
  await redis.publish(progressChannel(event.runId), JSON.stringify(event));
}

export function parseProgress(message: string): RunProgressEvent | null {
  try {
    const parsed = RunProgressEvent.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
