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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type SharedEnv = z.infer<typeof SharedEnv>;

let cached: SharedEnv | undefined;

export function env(): SharedEnv {
  if (!cached) {
    const parsed = SharedEnv.safeParse(process.env);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`Invalid environment: ${msg}`);
    }
    cached = parsed.data;
  }
  return cached;
}
