/**
 * Calendar periods for grandfather-father-son buckets, read on the wall clock of one time zone. A period has an
 * ordinal (a number that grows with time, so "the N most recent periods" is a numeric sort that no label format can
 * get wrong) and a label for humans (`2026-11-20`, `2026-W47`), used in keep reasons.
 */

export const PERIODS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type Period = (typeof PERIODS)[number];

/** The noun used in explanations: "beyond the newest 7 days". */
export const PERIOD_NOUN: Record<Period, string> = {
  hourly: 'hours',
  daily: 'days',
  weekly: 'weeks',
  monthly: 'months',
  yearly: 'years',
};

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0–23 */
  hour: number;
}

export interface PeriodKey {
  ordinal: number;
  label: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `date` in `timeZone` (an IANA name already validated by the policy schema). */
export function wallClock(date: Date, timeZone: string): WallClock {
  if (timeZone === 'UTC') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
    };
  }
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const fields: WallClock = { year: 0, month: 0, day: 0, hour: 0 };
  for (const part of format.formatToParts(date)) {
    if (part.type === 'year' || part.type === 'month' || part.type === 'day' || part.type === 'hour') {
      fields[part.type] = Number(part.value);
    }
  }
  return fields;
}

/** Days since 1970-01-01 of a calendar date. `setUTCFullYear` because `Date.UTC` maps years 0–99 to 1900–1999. */
function epochDay(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.round(d.getTime() / DAY_MS);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The ISO week (weeks start on Monday; week 1 holds the year's first Thursday) of a calendar date. */
export function isoWeek(year: number, month: number, day: number): PeriodKey {
  const days = epochDay(year, month, day);
  // 1970-01-01 was a Thursday, so Monday-based weeks are counted from Monday 1969-12-29 (day -3).
  const ordinal = Math.floor((days + 3) / 7);
  // The week belongs to the ISO year of its Thursday, the fourth day of the week.
  const thursday = new Date(ordinal * 7 * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const week = Math.floor((ordinal * 7 - epochDay(isoYear, 1, 1)) / 7) + 1;
  return { ordinal, label: `${pad(isoYear, 4)}-W${pad(week)}` };
}

/** The period of `period` kind that contains the wall-clock time `t`. */
export function periodKey(period: Period, t: WallClock): PeriodKey {
  const date = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
  switch (period) {
    case 'hourly':
      return { ordinal: epochDay(t.year, t.month, t.day) * 24 + t.hour, label: `${date}T${pad(t.hour)}` };
    case 'daily':
      return { ordinal: epochDay(t.year, t.month, t.day), label: date };
    case 'weekly':
      return isoWeek(t.year, t.month, t.day);
    case 'monthly':
      return { ordinal: t.year * 12 + t.month - 1, label: `${pad(t.year, 4)}-${pad(t.month)}` };
    case 'yearly':
      return { ordinal: t.year, label: pad(t.year, 4) };
  }
}
