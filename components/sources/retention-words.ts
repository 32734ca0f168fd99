import type { Retention } from '@/components/api/types';

/** A retention policy in words, for people: what the rules keep, what is always kept, what moves where. */
export interface RetentionWords {
  /** One phrase per keep rule, in the order the API documents them. Empty: no keep rule, everything is kept. */
  keeps: string[];
  /** `minRetention` as a sentence, or null. */
  minimum: string | null;
  /** One phrase per storage-class tier, hot to cold. */
  tiers: string[];
  /** The time zone periods are read in; named only when a calendar rule (hourly … yearly) uses it. */
  timezone: string | null;
}

const CALENDAR_RULES = [
  ['keepHourly', 'hour', 'hours'],
  ['keepDaily', 'day', 'days'],
  ['keepWeekly', 'week', 'weeks'],
  ['keepMonthly', 'month', 'months'],
  ['keepYearly', 'year', 'years'],
] as const;

const UNITS: Record<string, readonly [string, string]> = {
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  w: ['week', 'weeks'],
  y: ['year', 'years'],
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `30d` → "30 days", `1y` → "1 year"; anything else (never stored: policies are validated) as it is. */
export function durationWords(text: string): string {
  const match = /^(\d+)([hdwy])$/.exec(text);
  const unit = match && UNITS[match[2]!];
  if (!match || !unit) return text;
  return plural(Number(match[1]), unit[0], unit[1]);
}

/** Describes a retention policy; null (no retention) and a policy without keep rules both keep everything. */
export function describeRetention(retention: Retention | null): RetentionWords {
  if (!retention) return { keeps: [], minimum: null, tiers: [], timezone: null };
  const keeps: string[] = [];
  if (retention.keepLast !== undefined) {
    keeps.push(retention.keepLast === 1 ? 'the newest point' : `the last ${retention.keepLast} points`);
  }
  let calendar = false;
  for (const [rule, one, many] of CALENDAR_RULES) {
    const n = retention[rule];
    if (n === undefined) continue;
    calendar = true;
    // restic's semantics: the N most recent periods that contain a point, not the last N calendar periods.
    keeps.push(
      n === 1 ? `the newest point of the most recent ${one} that has a backup` : `the newest point of each of the last ${n} ${many} that have a backup`,
    );
  }
  if (retention.keepWithin !== undefined) {
    keeps.push(`every point from the ${durationWords(retention.keepWithin)} before the newest one`);
  }
  return {
    keeps,
    minimum:
      retention.minRetention === undefined
        ? null
        : `Nothing younger than ${durationWords(retention.minRetention)} is deleted, whatever the rules say.`,
    tiers: (retention.tiers ?? []).map((t) =>
      t.afterDays === 0 ? `to ${t.storageClass} at once` : `to ${t.storageClass} after ${plural(t.afterDays, 'day', 'days')}`,
    ),
    timezone: calendar ? retention.timezone : null,
  };
}
