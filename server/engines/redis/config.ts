import { z } from 'zod';

// DNS names are at most 253 characters.
const MAX_HOST_LENGTH = 255;
// Far above any sane password or ACL user name, low enough that a pasted file is refused instead of stored.
const MAX_PASSWORD_LENGTH = 1024;
const MAX_USERNAME_LENGTH = 128;
/** A scratch instance lives at most a day; the default is an hour. */
export const MAX_SCRATCH_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_SCRATCH_TTL_SECONDS = 60 * 60;

// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;

// Numeric strings are accepted: forms and hand-written JSON often send "6379".
const port = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.number({ message: `${what} must be a number from 1 to 65535` }).int().min(1).max(65535),
  );

// A host is passed to redis-cli as the value of `-h`: no spaces or controls, and never something that reads as an option.
const host = (what: string) =>
  z
    .string()
    .min(1, `${what} is required`)
    .max(MAX_HOST_LENGTH)
    .refine((v) => !CONTROL_OR_SPACE.test(v), `${what} must not contain spaces or control characters`)
    .refine((v) => !v.startsWith('-'), `${what} must not start with "-"`);

const username = z
  .string()
  .min(1)
  .max(MAX_USERNAME_LENGTH)
  .refine((v) => !CONTROL_OR_SPACE.test(v), 'username must not contain spaces or control characters')
  .refine((v) => !v.startsWith('-'), 'username must not start with "-"');

const password = z.string().max(MAX_PASSWORD_LENGTH).refine((v) => !NUL.test(v), 'password must not contain NUL');

/** Non-secret connection settings of a Redis source. */
export const RedisConfig = z
  .object({
    host: host('host'),
    port: port('port').default(6379),
    /** Connect with TLS (redis-cli --tls, ioredis `tls`), verifying the server's certificate against the system CAs. */
    tls: z.boolean().default(false),
    /** ACL user (Redis 6+); omitted means the `default` user. */
    username: username.optional(),
    /** Run BGSAVE first and wait for LASTSAVE to advance, so the server also has a fresh dump.rdb of its own. */
    bgsave: z.boolean().default(false),
  })
  .strict();
export type RedisConfig = z.infer<typeof RedisConfig>;

/** Credentials of a Redis source. No password means a server without `requirepass`/ACL passwords. */
export const RedisSecrets = z.object({ password: password.optional() }).strict();
export type RedisSecrets = z.infer<typeof RedisSecrets>;

/** The modes a target may name itself (`target.mode`, the API's shape). */
export const RedisRestoreMode = z.enum(['scratch', 'replay']);
export type RedisRestoreMode = z.infer<typeof RedisRestoreMode>;

/**
 * The engine's restore modes (`restoreModes`): `replay-replace` is the destructive replay (RESTORE … REPLACE into
 * databases that may hold keys), the mode a target `{ "mode": "replay", "destructive": true }` stands for.
 */
export const REDIS_RUN_MODES = ['scratch', 'replay', 'replay-replace'] as const;
export type RedisRunMode = (typeof REDIS_RUN_MODES)[number];

/**
 * Where a restore goes. `scratch` (the default): a new `redis-server` on a loopback port of the worker, loaded with the
 * snapshot and stopped after `ttlSeconds`; `port` picks the port (default: a free one). `replay`: the keys are copied
 * into the server at `host`/`port` (DUMP/RESTORE with their TTLs); a database of that server that already holds keys
 * is refused unless `destructive` (the destructive mode `replay-replace`), which replaces the keys the snapshot holds
 * (RESTORE … REPLACE). The mode may be given here (`{ "mode": "replay", … }`, the API's shape) or as the request's `mode`.
 * `password` is a secret field (`restoreSecretFields`): sealed by the restore verbs, never stored in the target.
 */
export const RedisRestoreTarget = z
  .object({
    mode: RedisRestoreMode.optional(),
    ttlSeconds: z
      .preprocess(
        (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v),
        z.number({ message: `ttlSeconds must be a number from 60 to ${MAX_SCRATCH_TTL_SECONDS}` }).int().min(60).max(MAX_SCRATCH_TTL_SECONDS),
      )
      .default(DEFAULT_SCRATCH_TTL_SECONDS),
    host: host('target host').optional(),
    port: port('target port').optional(),
    tls: z.boolean().default(false),
    username: username.optional(),
    password: password.optional(),
    destructive: z.boolean().default(false),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.mode === 'replay' && t.host === undefined) ctx.addIssue({ code: 'custom', path: ['host'], message: 'a replay needs the target host' });
    // Without a mode here, the request's mode decides; the engine checks the combination then (resolveRestore).
    if (t.mode === 'scratch') {
      for (const key of ['host', 'username', 'password'] as const) {
        if (t[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is only for mode "replay"; a scratch instance always runs on 127.0.0.1` });
      }
      if (t.destructive) ctx.addIssue({ code: 'custom', path: ['destructive'], message: 'a scratch restore never replaces anything' });
    }
  });
export type RedisRestoreTarget = z.infer<typeof RedisRestoreTarget>;

/** `host:port`, as every message about a server names it. */
export function describeServer(config: { host: string; port: number }): string {
  return config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
}

/**
 * The mode a target names itself: `scratch`, `replay`, or `replay-replace` for `{ mode: "replay", destructive: true }`
 * (the engine definition's `restoreModeOf`); undefined when it names none.
 */
export function modeOfTarget(target: Pick<RedisRestoreTarget, 'mode' | 'destructive'>): RedisRunMode | undefined {
  if (target.mode === 'scratch') return 'scratch';
  if (target.mode === 'replay') return target.destructive ? 'replay-replace' : 'replay';
  return undefined;
}

/** `host:port` of a replay target, as its typed confirmation and every message name it. */
export function replayAddress(target: { host?: unknown; port?: unknown }): string {
  const host = typeof target.host === 'string' ? target.host : '';
  const port = typeof target.port === 'number' ? target.port : typeof target.port === 'string' && /^\d+$/.test(target.port.trim()) ? Number(target.port.trim()) : 6379;
  return describeServer({ host, port });
}
