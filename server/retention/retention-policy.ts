import { z } from 'zod';
import { DomainError } from '@/server/shared/errors';
import { parseDuration } from './duration';

/**
 * A retention count: keep this many (restic/borg semantics, see plan-retention.ts). Zero is refused rather than
 * read as "keep none": a rule that keeps nothing is written by omitting it, so a form that sends 0 for an empty
 * field cannot silently turn a rule off or on.
 */
const count = (name: string) =>
  z
    .int({ error: `${name} must be a whole number` })
    .min(1, { error: `${name} must be at least 1 (omit it to disable the rule)` })
    .optional();

/** A duration string such as `30d`, `12h`, `2w`, `7y`; kept as text so a stored policy reads as it was written. */
export const RetentionDuration = z.string({ error: 'must be a duration such as 30d, 12h, 2w or 1y' }).check((ctx) => {
  const parsed = parseDuration(ctx.value);
  if ('error' in parsed) ctx.issues.push({ code: 'custom', message: parsed.error, input: ctx.value });
});
export type RetentionDuration = z.infer<typeof RetentionDuration>;

/** One storage-class transition: points older than `afterDays` move to `storageClass` (S3 lifecycle style). */
export const RetentionTier = z.strictObject({
  afterDays: z
    .int({ error: 'afterDays must be a whole number of days' })
    .min(0, { error: 'afterDays must be 0 or more' }),
  storageClass: z
    .string({ error: 'storageClass is required' })
    .trim()
    .min(1, { error: 'storageClass is required' })
    // Longer than any provider's class name (S3 GLACIER_IR, GCS COLDLINE, Azure Archive); past that it is a paste error.
    .max(64, { error: 'storageClass is at most 64 characters' })
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'storageClass may contain letters, digits, _ and - (e.g. STANDARD_IA, GLACIER)' }),
});
export type RetentionTier = z.infer<typeof RetentionTier>;

/** An IANA time zone name (`Europe/Paris`), normalised to its canonical spelling (`utc` → `UTC`). */
export const RetentionTimeZone = z
  .string({ error: 'timezone must be an IANA name such as UTC or Europe/Paris' })
  .trim()
  .transform((name, ctx) => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      ctx.issues.push({ code: 'custom', message: `unknown time zone "${name}" (use an IANA name such as UTC or Europe/Paris)`, input: name });
      return z.NEVER;
    }
  });

/**
 * How long the recovery points of one source are kept. Every rule is optional and rules add up: a point is kept if
 * ANY rule keeps it. A policy without any keep rule keeps everything: forgetting to configure retention must never
 * delete backups. `minRetention` and `tiers` are not keep rules: they only protect or move points.
 */
export const RetentionPolicy = z
  .strictObject({
    /** The N newest points. */
    keepLast: count('keepLast'),
    /** The newest point of each of the N most recent hours (days, ISO weeks, months, years) that contain a point. */
    keepHourly: count('keepHourly'),
    keepDaily: count('keepDaily'),
    keepWeekly: count('keepWeekly'),
    keepMonthly: count('keepMonthly'),
    keepYearly: count('keepYearly'),
    /** Every point created within this duration before the newest point (or before now, if that is earlier). */
    keepWithin: RetentionDuration.optional(),
    /** Nothing younger than this (measured from now) is ever deleted, whatever the rules say. */
    minRetention: RetentionDuration.optional(),
    /** Storage-class transitions, by age, sorted by afterDays; later entries are colder. */
    tiers: z
      .array(RetentionTier)
      .check((ctx) => {
        ctx.value.forEach((tier, i) => {
          const previous = ctx.value[i - 1];
          if (previous && tier.afterDays <= previous.afterDays) {
            ctx.issues.push({
              code: 'custom',
              path: [i, 'afterDays'],
              message: `tiers must be sorted by afterDays with no repeats: ${tier.afterDays} follows ${previous.afterDays}`,
              input: ctx.value,
            });
          }
          if (ctx.value.findIndex((t) => t.storageClass === tier.storageClass) !== i) {
            ctx.issues.push({
              code: 'custom',
              path: [i, 'storageClass'],
              message: `storage class ${tier.storageClass} appears twice`,
              input: ctx.value,
            });
          }
        });
      })
      .optional(),
    /** The wall clock that hourly/daily/weekly/monthly/yearly buckets are read on (ISO weeks, Monday first). */
    timezone: RetentionTimeZone.default('UTC'),
  });
export type RetentionPolicy = z.infer<typeof RetentionPolicy>;
/** What callers may pass (timezone may be left out). */
export type RetentionPolicyInput = z.input<typeof RetentionPolicy>;

export const KEEP_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepWithin'] as const;

/** True when the policy has at least one keep rule, i.e. when it may delete anything at all. */
export function hasKeepRule(policy: RetentionPolicy): boolean {
  return KEEP_RULES.some((rule) => policy[rule] !== undefined);
}

/** Parses a policy, or throws a VALIDATION DomainError whose message names every wrong field. */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  const result = RetentionPolicy.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String),
    message: issue.message,
  }));
  throw new DomainError(
    'VALIDATION',
    issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '),
    { issues },
  );
}
