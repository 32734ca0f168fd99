/**
 * Retention durations: one whole number and one unit, `12h`, `30d`, `2w`, `7y`. Nothing else is accepted (no
 * spaces, no compounds like `1y6w`, no `m`): a retention setting that is half-understood deletes backups.
 */

export type DurationUnit = 'h' | 'd' | 'w' | 'y';
export interface Duration {
  amount: number;
  unit: DurationUnit;
  /** The canonical text (`30d`), used verbatim in keep reasons. */
  text: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Record<Exclude<DurationUnit, 'y'>, number> = { h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
// A longer setting is a typo (an extra digit), not a policy; indefinite retention is what legal hold is for.
// 1000 years also keeps every subtraction well inside the range a JS Date can hold.
const MAX_DURATION_YEARS = 1000;
const APPROX_YEAR_MS = 366 * DAY_MS;

const DURATION_PATTERN = /^([1-9][0-9]{0,6})([hdwy])$/;

/** Parses a duration, or returns a sentence saying what is wrong with it. */
export function parseDuration(text: string): Duration | { error: string } {
  const match = DURATION_PATTERN.exec(text);
  if (!match) {
    if (/^[0-9]+\s*(m|mo|min|months?|minutes?)$/i.test(text.trim())) {
      return { error: `"${text}" is ambiguous: minutes or months? Use h, d, w or y (e.g. 30d, 12h, 2w, 1y)` };
    }
    if (/^0+[hdwy]$/.test(text)) return { error: `"${text}" is zero: omit the setting instead` };
    return { error: `"${text}" is not a duration: use a whole number and one unit h, d, w or y (e.g. 30d, 12h, 2w, 1y)` };
  }
  const amount = Number(match[1]);
  const unit = match[2] as DurationUnit;
  const approxMs = unit === 'y' ? amount * APPROX_YEAR_MS : amount * UNIT_MS[unit];
  if (approxMs > MAX_DURATION_YEARS * APPROX_YEAR_MS) {
    return { error: `"${text}" is longer than ${MAX_DURATION_YEARS} years; use a legal hold for indefinite retention` };
  }
  return { amount, unit, text: `${amount}${unit}` };
}

/** Like {@link parseDuration} for text that was already validated (a parsed policy); throws otherwise. */
export function mustParseDuration(text: string): Duration {
  const parsed = parseDuration(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

/**
 * The instant `duration` before `from`. Hours, days and weeks are exact elapsed time (a day is 24 h). Years are
 * calendar years in UTC, so `7y` covers a full seven years including leap days; 29 February steps back to
 * 28 February (the earlier instant), so a year-based window is never a day short.
 */
export function subtractDuration(from: Date, duration: Duration): Date {
  if (duration.unit !== 'y') return new Date(from.getTime() - duration.amount * UNIT_MS[duration.unit]);
  const result = new Date(from.getTime());
  const year = from.getUTCFullYear() - duration.amount;
  const month = from.getUTCMonth();
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month + 1, 0);
  result.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay.getUTCDate()));
  return result;
}
