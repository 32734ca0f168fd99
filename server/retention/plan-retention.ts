import { DomainError } from '@/server/shared/errors';
import { mustParseDuration, subtractDuration } from './duration';
import { PERIOD_NOUN, PERIODS, periodKey, wallClock, type Period, type PeriodKey } from './periods';
import { hasKeepRule, parseRetentionPolicy, type RetentionPolicy, type RetentionPolicyInput } from './retention-policy';

/** What retention needs to know about one recovery point. */
export interface RetentionPoint {
  id: string;
  createdAt: Date;
  /** Verified with zero errors: the newest such point is the one a restore would fall back on. */
  verified: boolean;
  legalHold: boolean;
  /** WORM retention lock: the storage refuses deletion before this instant anyway. */
  lockedUntil: Date | null;
  storageClass?: string | null;
}

export interface RetentionPlan {
  /** Newest first; every reason that keeps the point, protections first. */
  keep: Array<{ id: string; reasons: string[] }>;
  /** Newest first; why no rule keeps the point. */
  delete: Array<{ id: string; reason: string }>;
  /** Newest first; only kept points move, and only to a colder tier. */
  transitions: Array<{ id: string; toStorageClass: string }>;
}

const DAY_MS = 86_400_000;
const GFS_RULE: Record<Period, 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly'> = {
  hourly: 'keepHourly',
  daily: 'keepDaily',
  weekly: 'keepWeekly',
  monthly: 'keepMonthly',
  yearly: 'keepYearly',
};

/**
 * Recency order: the later `createdAt` is newer; on equal times the greater id (plain code-unit comparison, not
 * locale-aware) counts as newer, so "the newest point of a day" is always one well-defined point.
 */
export function newestFirst(a: RetentionPoint, b: RetentionPoint): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Decides which recovery points a prune would keep, delete and move to another storage class, with the reason for
 * each decision (the dry-run view shows them verbatim). Pure: same input, same plan, in the same order.
 *
 * Keep rules (restic `forget` semantics; a point is kept if any rule keeps it):
 * - keepLast N: the N newest points.
 * - keepHourly/Daily/Weekly/Monthly/Yearly N: sort the periods that contain at least one point, take the N most
 *   recent, keep the newest point of each. Periods are read on the policy's time zone; weeks are ISO weeks. Rules are
 *   independent: a point kept by keepLast still fills its day for keepDaily.
 * - keepWithin D: every point created at or after (anchor − D), anchor = the newest point's time or now, whichever is
 *   earlier. Anchoring on the newest point means a backup outage never erodes history; capping at now means a point
 *   stamped in the future by a bad clock cannot drag the window away.
 *
 * Protections, in order of precedence (each adds a reason; none is ever overruled by a rule):
 * legal hold → WORM lock still running (`lockedUntil > now`) → the newest verified point → younger than or exactly
 * minRetention (measured from now) → no keep rule at all (keep everything).
 *
 * Keep rules and protections are computed independently: a held point still counts for its day, and GFS picks its
 * points without looking at flags. That keeps the GFS outcome explainable on its own.
 */
export function planRetention(points: readonly RetentionPoint[], policyInput: RetentionPolicyInput, now: Date): RetentionPlan {
  const policy = parseRetentionPolicy(policyInput);
  assertValidInput(points, now);

  const sorted = [...points].sort(newestFirst);
  const keepReasons: string[][] = sorted.map(() => []);
  const misses: string[][] = sorted.map(() => []);

  addProtections(sorted, policy, now, keepReasons);
  addRuleDecisions(sorted, policy, now, keepReasons, misses);

  const plan: RetentionPlan = { keep: [], delete: [], transitions: [] };
  sorted.forEach((point, i) => {
    const reasons = keepReasons[i] ?? [];
    if (reasons.length > 0) {
      plan.keep.push({ id: point.id, reasons });
      const target = transitionTarget(point, policy, now);
      if (target) plan.transitions.push({ id: point.id, toStorageClass: target });
    } else {
      plan.delete.push({ id: point.id, reason: (misses[i] ?? []).join('; ') });
    }
  });
  return plan;
}

function assertValidInput(points: readonly RetentionPoint[], now: Date): void {
  if (Number.isNaN(now.getTime())) throw new DomainError('VALIDATION', 'now is not a valid date');
  const seen = new Set<string>();
  for (const point of points) {
    // A duplicate id would make "keep" and "delete" ambiguous for the same object; refuse rather than guess.
    if (seen.has(point.id)) throw new DomainError('VALIDATION', `recovery point ${point.id} appears twice`);
    seen.add(point.id);
    if (Number.isNaN(point.createdAt.getTime())) {
      throw new DomainError('VALIDATION', `recovery point ${point.id} has an invalid createdAt`);
    }
    if (point.lockedUntil && Number.isNaN(point.lockedUntil.getTime())) {
      throw new DomainError('VALIDATION', `recovery point ${point.id} has an invalid lockedUntil`);
    }
  }
}

function addProtections(sorted: RetentionPoint[], policy: RetentionPolicy, now: Date, keepReasons: string[][]): void {
  const newestVerified = sorted.findIndex((p) => p.verified);
  const minRetention = policy.minRetention === undefined ? undefined : mustParseDuration(policy.minRetention);
  const protectedSince = minRetention && subtractDuration(now, minRetention).getTime();
  const noRule = !hasKeepRule(policy);

  sorted.forEach((point, i) => {
    const reasons = keepReasons[i] ?? [];
    if (point.legalHold) reasons.push('legal hold');
    if (point.lockedUntil && point.lockedUntil.getTime() > now.getTime()) {
      reasons.push(`locked until ${point.lockedUntil.toISOString()}`);
    }
    if (i === newestVerified) reasons.push('newest verified');
    if (protectedSince !== undefined && point.createdAt.getTime() >= protectedSince) {
      reasons.push(`min retention ${minRetention?.text}`);
    }
    if (noRule) reasons.push('no retention rule');
  });
}

function addRuleDecisions(
  sorted: RetentionPoint[],
  policy: RetentionPolicy,
  now: Date,
  keepReasons: string[][],
  misses: string[][],
): void {
  const newest = sorted[0];
  if (!newest) return;

  if (policy.keepLast !== undefined) {
    const n = policy.keepLast;
    sorted.forEach((_, i) => (i < n ? keepReasons[i]?.push(`keep-last ${n}`) : misses[i]?.push(`not among the last ${n}`)));
  }

  if (policy.keepWithin !== undefined) {
    const within = mustParseDuration(policy.keepWithin);
    const anchor = new Date(Math.min(now.getTime(), newest.createdAt.getTime()));
    const cutoff = subtractDuration(anchor, within).getTime();
    sorted.forEach((point, i) =>
      point.createdAt.getTime() >= cutoff
        ? keepReasons[i]?.push(`within ${within.text}`)
        : misses[i]?.push(`older than ${within.text} before ${anchor.toISOString()}`),
    );
  }

  const gfs = PERIODS.filter((period) => policy[GFS_RULE[period]] !== undefined);
  if (gfs.length === 0) return;
  // Each point's wall clock is read once: with a named time zone that is the expensive step.
  const clocks = sorted.map((point) => wallClock(point.createdAt, policy.timezone));
  for (const period of gfs) {
    const n = policy[GFS_RULE[period]] ?? 0;
    const keys: PeriodKey[] = clocks.map((clock) => periodKey(period, clock));
    // Scanning newest first, the first point seen in a period is that period's newest point.
    const newestInPeriod = new Map<number, number>();
    keys.forEach((key, i) => {
      if (!newestInPeriod.has(key.ordinal)) newestInPeriod.set(key.ordinal, i);
    });
    const recent = new Set([...newestInPeriod.keys()].sort((a, b) => b - a).slice(0, n));
    keys.forEach((key, i) => {
      const owner = newestInPeriod.get(key.ordinal) ?? i;
      if (owner !== i) misses[i]?.push(`${period} ${key.label} has newer ${sorted[owner]?.id}`);
      else if (recent.has(key.ordinal)) keepReasons[i]?.push(`${period} ${key.label}`);
      else misses[i]?.push(`${period} ${key.label} is beyond the newest ${n} ${PERIOD_NOUN[period]}`);
    });
  }
}

/**
 * The colder tier a kept point should move to, if any. Tiers are ordered hot to cold; a class not listed (STANDARD,
 * or none recorded) counts as hotter than every tier. A point is never moved to a hotter tier: leaving Glacier is a
 * restore, not a lifecycle step.
 */
function transitionTarget(point: RetentionPoint, policy: RetentionPolicy, now: Date): string | undefined {
  const tiers = policy.tiers ?? [];
  const ageMs = now.getTime() - point.createdAt.getTime();
  let target = -1;
  tiers.forEach((tier, i) => {
    if (ageMs >= tier.afterDays * DAY_MS) target = i;
  });
  const current = tiers.findIndex((tier) => tier.storageClass === point.storageClass);
  return target > current ? tiers[target]?.storageClass : undefined;
}
