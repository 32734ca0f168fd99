import { CronPattern } from 'croner';
import { minutesOf, type ScheduleTiming } from './schedule-time';

/**
 * A schedule in words, for the dashboard and the API's `description`: the common shapes (every N minutes, hourly
 * at :MM, every N hours, daily at HH:MM, weekly on some days, monthly on a day) are worded from croner's parsed
 * pattern; anything else is shown as its cron text ("cron 0 3 1-7 * 1 (UTC)") rather than worded wrongly.
 */

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// croner marks a plain weekday with this bitmask ("any occurrence in the month"); `#n` sets one bit instead.
const ANY_OCCURRENCE = 0b111111;

const two = (n: number) => String(n).padStart(2, '0');

/** The indexes set in croner's part array (1 = fires, for days of week: the nth-weekday bitmask). */
function setIndexes(part: readonly number[]): number[] {
  return part.flatMap((v, i) => (v ? [i] : []));
}

/** `[0, 15, 30, 45]` with span 60 → 15: the step when the values start at 0 and are evenly spaced over the span. */
function evenStep(values: readonly number[], span: number): number | null {
  if (values.length < 2 || values[0] !== 0) return null;
  const step = values[1]! - values[0]!;
  if (span % step !== 0 || values.length !== span / step) return null;
  return values.every((v, i) => v === i * step) ? step : null;
}

function list(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Days of week: "Sunday", "Monday to Friday", "Monday, Wednesday and Friday" (a run of 3+ days as a range). */
function daysWords(days: readonly number[]): string {
  // Monday-first so that Monday to Sunday reads as a week; croner numbers Sunday 0.
  const order = [...days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  const rank = (d: number) => (d + 6) % 7;
  const contiguous = order.every((d, i) => i === 0 || rank(d) === rank(order[i - 1]!) + 1);
  if (order.length >= 3 && contiguous) return `${DAY_NAMES[order[0]!]} to ${DAY_NAMES[order[order.length - 1]!]}`;
  return list(order.map((d) => DAY_NAMES[d]!));
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** The fallback: the cron text as written, with its zone. */
function cronText(s: ScheduleTiming): string {
  return `cron ${s.cron.trim()} (${s.timezone})`;
}

/**
 * "every Sunday at 03:00 UTC", "every 5 minutes", "hourly at :15 (Europe/Berlin)", "daily at 02:00 UTC",
 * "every Monday to Saturday at 02:00 UTC", "monthly on the 1st at 04:00 UTC"; else "cron … (zone)". The window, if
 * any, is not included (see `describeWindow`).
 */
export function describeTiming(s: ScheduleTiming): string {
  let p: CronPattern;
  try {
    p = new CronPattern(s.cron.trim(), s.timezone);
  } catch {
    return cronText(s);
  }
  const seconds = setIndexes(p.second);
  const minutes = setIndexes(p.minute);
  const hours = setIndexes(p.hour);
  const allMonths = p.month.every(Boolean);
  const allDays = p.starDOM && !p.lastDayOfMonth;
  // Index 7 (Sunday again) is folded onto 0 by croner; only 0–6 matter.
  const dow = p.dayOfWeek.slice(0, 7);
  const allWeek = p.starDOW;
  if (seconds.length !== 1 || seconds[0] !== 0 || !allMonths) return cronText(s);
  if (!allWeek && !dow.every((v) => v === 0 || v === ANY_OCCURRENCE)) return cronText(s); // `#n`: nth weekday
  if (!allWeek && !allDays) return cronText(s); // both restricted: cron's "either" rule, too easy to misread

  const zone = s.timezone === 'UTC' ? 'UTC' : s.timezone;
  const allHours = hours.length === 24;
  // Sub-daily shapes are about every day of the week and month.
  if (allDays && allWeek && allHours) {
    if (minutes.length === 60) return 'every minute';
    const step = evenStep(minutes, 60);
    // The gap between fires of an even step over the hour is the same in every zone, DST included: no zone needed.
    if (step !== null) return `every ${step} minutes`;
    if (minutes.length === 1) return `hourly at :${two(minutes[0]!)} (${zone})`;
    return cronText(s);
  }
  if (minutes.length !== 1) return cronText(s);
  const minute = minutes[0]!;
  const hourStep = evenStep(hours, 24);
  if (allDays && allWeek && hourStep !== null) return `every ${hourStep} hours at :${two(minute)} (${zone})`;
  const at = `at ${list(hours.map((h) => `${two(h)}:${two(minute)}`))} ${zone}`;
  if (allDays && allWeek) return `daily ${at}`;
  if (allDays) {
    const days = setIndexes(dow);
    if (days.length === 7) return `daily ${at}`;
    return `every ${daysWords(days)} ${at}`;
  }
  // Day of month restricted, every weekday.
  if (p.lastDayOfMonth && setIndexes(p.day).length === 0) return `monthly on the last day ${at}`;
  const dates = setIndexes(p.day).map((i) => i + 1);
  if (p.lastDayOfMonth || dates.length === 0) return cronText(s);
  return `monthly on the ${list(dates.map(ordinal))} ${at}`;
}

/** "between 01:00 and 05:00 (UTC)"; a window crossing midnight says so. Null without a window. */
export function describeWindow(s: ScheduleTiming): string | null {
  if (!s.window) return null;
  const start = minutesOf(s.window.start);
  const end = minutesOf(s.window.end);
  const crosses = start !== null && end !== null && end < start;
  return `only between ${s.window.start} and ${s.window.end}${crosses ? ' (next day)' : ''} ${s.timezone}`;
}

/** The timing and the window, e.g. "daily at 02:00 UTC, only between 01:00 and 05:00 UTC". */
export function describeSchedule(s: ScheduleTiming): string {
  const w = describeWindow(s);
  return w ? `${describeTiming(s)}, ${w}` : describeTiming(s);
}

const slotFormats = new Map<string, Intl.DateTimeFormat>();

/** A fire time as a person reads it in the schedule's zone: "Sun 6 Dec 03:00" (no year, no seconds unless set). */
export function formatSlot(at: Date, timezone: string): string {
  let f = slotFormats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    slotFormats.set(timezone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const clock = parts.second === '00' ? `${parts.hour}:${parts.minute}` : `${parts.hour}:${parts.minute}:${parts.second}`;
  return `${parts.weekday} ${parts.day} ${parts.month} ${clock}`;
}
