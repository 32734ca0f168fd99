import path from 'node:path';
import { z } from 'zod';

/**
 * Settings shared by the web app, the workers and the CLI. Parsed once, on first use, so that importing a module
 * never fails at build time when the environment is not there yet.
 */
const SharedEnv = z.object({
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  LIFEBOAT_DATA_DIR: z.string().default(path.resolve(process.cwd(), '.data')),
  LIFEBOAT_MASTER_KEY: z.string().optional(),
  LIFEBOAT_QUEUE_PREFIX: z.string().default('lifeboat'),
  // 5 s × 2^n between a copy job's deliveries (5, 10, 20, 40 s): rides out a short outage of the copy destination
  // without hammering it. Here, not in workers/worker-env.ts, because server/copies enqueues with it; tests shorten it.
  LIFEBOAT_COPY_BACKOFF_MS: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of milliseconds' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be at least 1' }))
    .default(5_000),
});
export type SharedEnv = z.infer<typeof SharedEnv>;

/**
 * The logger's settings, apart from SharedEnv: every module logs, including ones loaded where DATABASE_URL is not
 * set (next build, the CLI's help), so logging must not require it.
 */
const LoggingEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type LoggingEnv = z.infer<typeof LoggingEnv>;

export function loggingEnv(source: Record<string, string | undefined> = process.env): LoggingEnv {
  const parsed = LoggingEnv.safeParse(source);
  if (!parsed.success) throw new Error(`Invalid environment: LOG_LEVEL: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Parses `source`; throws one readable error naming every bad variable. */
export function parseSharedEnv(source: Record<string, string | undefined>): SharedEnv {
  const parsed = SharedEnv.safeParse(source);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment: ${msg}`);
  }
  return parsed.data;
}

let cached: SharedEnv | undefined;

export function env(): SharedEnv {
  cached ??= parseSharedEnv(process.env);
  return cached;
}
