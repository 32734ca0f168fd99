import { z } from 'zod';

const whole = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number (${min} to ${max})` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }))
    .optional()
    .transform((value) => value ?? fallback);

const optionalUrl = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim().replace(/\/+$/, '')))
  .pipe(z.string().url({ message: 'must be the console’s address, e.g. https://lifeboat.example.com' }).optional());

/**
 * The notifier's settings (docs/OPERATIONS.md, "Notifications"), apart from the shared and worker settings: the web
 * app reads them too (links in a test message, the send timeout). Parsed once; a bad value is an error naming it.
 */
const NotifyEnv = z.object({
  // Read the audit trail every 2 s: a failed backup is told within seconds, and a scan that finds nothing new is one
  // indexed query.
  LIFEBOAT_NOTIFY_SCAN_MS: whole(2_000, 100, 3_600_000),
  // First retry after 5 s, then 10, 20, 40 s: rides out a receiver's restart or a short outage, and gives up (FAILED,
  // shown in the delivery log) about a minute and a quarter after the event.
  LIFEBOAT_NOTIFY_BACKOFF_MS: whole(5_000, 1, 3_600_000),
  // Attempts per delivery in all (the first and four retries).
  LIFEBOAT_NOTIFY_ATTEMPTS: whole(5, 1, 20),
  // One attempt's deadline (connect, TLS, request, answer): a receiver slower than 10 s is failing, and a job must not
  // hold a worker slot for long.
  LIFEBOAT_NOTIFY_TIMEOUT_MS: whole(10_000, 100, 120_000),
  // Evaluate the RPO figures every 30 s: a breach is a matter of minutes (RPO targets are minutes to days), and each
  // evaluation reads every source's candidates (server/slo/load-slo-facts.ts).
  LIFEBOAT_NOTIFY_RPO_SECONDS: whole(30, 0, 86_400),
  LIFEBOAT_PUBLIC_URL: optionalUrl,
  NEXTAUTH_URL: optionalUrl,
});
export type NotifyEnv = z.infer<typeof NotifyEnv>;

export function parseNotifyEnv(source: Record<string, string | undefined>): NotifyEnv {
  const parsed = NotifyEnv.safeParse(source);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}=${JSON.stringify(source[String(i.path[0])])}: ${i.message}`).join('; ');
    throw new Error(`Invalid notification settings: ${msg}`);
  }
  return parsed.data;
}

let cached: NotifyEnv | undefined;

export function notifyEnv(): NotifyEnv {
  cached ??= parseNotifyEnv(process.env);
  return cached;
}

/** The console's address for links: LIFEBOAT_PUBLIC_URL, else NEXTAUTH_URL, else the local default. */
export function publicBaseUrl(e: NotifyEnv = notifyEnv()): string {
  return e.LIFEBOAT_PUBLIC_URL ?? e.NEXTAUTH_URL ?? 'http://localhost:3000';
}

/** An absolute link to a console page (`/runs/<id>`). */
export function linkTo(path: string, e?: NotifyEnv): string {
  return `${publicBaseUrl(e)}${path.startsWith('/') ? path : `/${path}`}`;
}
