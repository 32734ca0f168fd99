import path from 'node:path';
import { z } from 'zod';

// Empty counts as unset: a compose file's `LIFEBOAT_OIDC_ISSUER=` must not turn a feature half on.
const optionalText = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));

// The roles of server/auth/permissions.ts, repeated: server/shared sits below server/auth.
const OIDC_ROLES = ['VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN'] as const;
type OidcRole = (typeof OIDC_ROLES)[number];

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
  // A restore request waits this long for its approvals: a day covers an approver in another time zone; a request
  // older than that describes an emergency that is over, and is asked again rather than run on stale approvals.
  LIFEBOAT_RESTORE_REQUEST_TTL_HOURS: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of hours' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be at least 1' }).max(24 * 90, { message: 'is at most 2160 (90 days)' }))
    .default(24),
  // A retention lock cannot be shortened or lifted by anyone: 10 years covers the common retention laws (tax
  // records, 6-10 years) while a typo ("2205" for "2025") is refused instead of binding storage for two centuries.
  LIFEBOAT_MAX_LOCK_YEARS: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of years' })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: 'must be at least 1' }).max(100, { message: 'must be at most 100' }))
    .default(10),
  // Requests per minute per API token and per signed-in user (server/http/rate-limit.ts); 0 turns the limit off.
  // 1200 (20 a second, sustained): a dashboard tab polls a few lists every 2 s, a person keeps several tabs and a
  // script with `--wait` polls once a second, all far below it; a runaway loop is not. The e2e and integration
  // suites stay under it with one token per file (the in-process hostile sweep, ~2000 requests in seconds, sets 0).
  LIFEBOAT_RATE_LIMIT_PER_MINUTE: z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number of requests (0: no limit)' })
    .transform(Number)
    .pipe(z.number().int().max(1_000_000, { message: 'must be at most 1000000' }))
    .default(1_200),
  // OIDC sign-in (besides passwords): on when the issuer, client id and secret are all set (server/auth/oidc.ts).
  LIFEBOAT_OIDC_ISSUER: optionalText.pipe(z.string().url({ message: 'must be the issuer URL, e.g. https://id.example.com/realms/ops' }).optional()),
  LIFEBOAT_OIDC_CLIENT_ID: optionalText,
  LIFEBOAT_OIDC_CLIENT_SECRET: optionalText,
  /** What the login button says: "Sign in with <name>". */
  LIFEBOAT_OIDC_NAME: optionalText.transform((s) => s ?? 'single sign-on'),
  /** The ID token / userinfo claim whose value(s) decide the role. */
  LIFEBOAT_OIDC_ROLE_CLAIM: optionalText.transform((s) => s ?? 'lifeboat_role'),
  /** `admins=ADMIN,ops=OPERATOR`: claim value → role. Unset: the claim must name a role itself (`operator`). */
  LIFEBOAT_OIDC_ROLE_MAP: optionalText.transform((s, ctx) => {
    if (s === undefined) return undefined;
    const map: Record<string, OidcRole> = {};
    for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      const eq = pair.lastIndexOf('=');
      const value = pair.slice(0, eq).trim();
      const role = pair.slice(eq + 1).trim().toUpperCase();
      if (eq <= 0 || !value || !(OIDC_ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not value=ROLE with ROLE one of ${OIDC_ROLES.join(', ')}` });
        return z.NEVER;
      }
      map[value] = role as OidcRole;
    }
    return map;
  }),
}).superRefine((e, ctx) => {
  // All three or none: half a configuration would show a button that can only fail.
  const keys = ['LIFEBOAT_OIDC_ISSUER', 'LIFEBOAT_OIDC_CLIENT_ID', 'LIFEBOAT_OIDC_CLIENT_SECRET'] as const;
  if (keys.some((k) => e[k] !== undefined)) {
    for (const key of keys) {
      if (e[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'must be set too: OIDC needs the issuer, the client id and the secret' });
    }
  }
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
