import { Cron } from 'croner';

/**
 * Schedule time, pure: when a policy schedule fires and whether a moment is inside its window. Shared by the server
 * (validation, the scheduler, the SLO functions) and the dashboard (live previews), so nothing here imports server or
 * browser code. Cron is read by `croner` only, never by hand: 5 fields (minute hour day-of-month month day-of-week)
 * or 6 (seconds first), names (`SUN`, `JAN`), ranges, lists, steps, `L` (day of month) and `#`, and the nicknames
 * (`@daily`).
 * Day of month and day of week restricted together fire when EITHER matches (classic cron, croner's legacy mode).
 */

/** What these functions read of a schedule: its cron, its time zone and its optional window. */
export interface ScheduleTiming {
  cron: string;
  /** IANA name; the cron and the window are read in this zone's wall-clock time. */
  timezone: string;
  /** Local wall-clock times `HH:MM`; `end` before `start` crosses midnight. Half-open: `start` inside, `end` not. */
  window?: { start: string; end: string } | null;
}

// A week of one-minute slots: a reconciler catching up after a long outage pages with `from` = the last slot
// returned instead of holding a year of slots in memory at once.
export const MAX_SLOTS_PER_CALL = 10_080;

// Zones that are UTC all year. croner reads a named zone through toLocaleString (about 1 ms per fire time); with a
// fixed offset it does arithmetic (about 10 µs), which matters to a reconciler walking a day of one-minute slots.
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);

// Parsed patterns, kept: the scheduler asks about the same few patterns thousands of times a minute (a thousand
// sources on `* * * * *`), and parsing one costs more than answering. A paused croner job answers "next after t"
// from its arguments alone, so one instance serves every caller. Bounded: the oldest entry goes first.
const PARSED = new Map<string, Cron>();
const MAX_PARSED = 1_000;

/** A croner job that never runs (paused: no timer), only answers "when next". */
function cronOf(t: Pick<ScheduleTiming, 'cron' | 'timezone'>): Cron {
  const key = `${t.timezone}\n${t.cron}`;
  const known = PARSED.get(key);
  if (known) return known;
  const zone = UTC_ZONES.has(t.timezone) ? { utcOffset: 0 } : { timezone: t.timezone };
  const job = new Cron(t.cron, { ...zone, paused: true, legacyMode: true });
  if (PARSED.size >= MAX_PARSED) PARSED.delete(PARSED.keys().next().value!);
  PARSED.set(key, job);
  return job;
}

/**
 * Why croner refuses `cron` (its own words), or null when it reads it. `?` is refused too: croner replaces it with
 * the time of parsing, so the schedule would depend on when it was read.
 */
export function cronError(cron: string): string | null {
  if (cron.includes('?')) return '"?" is not supported: write * (any) or a value';
  // BullMQ's job schedulers read the same text with cron-parser, which reads a day-of-week "L" (5L, 5#L) otherwise
  // than croner (or refuses it): slots and fires would disagree. Day-of-month L ("0 4 L * *") reads the same in both.
  const fields = cron.trim().split(/\s+/);
  if (fields.length >= 5 && /l/i.test(fields[fields.length - 1]!.replace(/[a-z]{3}/gi, (name) => (/^(sun|mon|tue|wed|thu|fri|sat)$/i.test(name) ? '' : name)))) {
    return '"L" in the day-of-week field is not supported (write #1 to #5 for the nth weekday of the month)';
  }
  try {
    cronOf({ cron, timezone: 'UTC' });
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e);
  }
}

/** The canonical spelling of an IANA time zone (`utc` → `UTC`), or null when this runtime does not know it. */
export function canonicalTimeZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The next `n` fire times strictly after `from`. Fewer when the cron stops firing (e.g. `0 0 30 2 *`: never). */
export function nextRuns(schedule: ScheduleTiming, from: Date, n: number): Date[] {
  if (n <= 0) return [];
  return cronOf(schedule).nextRuns(n, from);
}

/**
 * Every fire time in (from, to], oldest first, at most `max` of them (page on from the last one returned). A slot
 * exactly at `from` belongs to the previous call, so consecutive calls over adjacent intervals never repeat a slot.
 */
export function slotsBetween(schedule: ScheduleTiming, from: Date, to: Date, max = MAX_SLOTS_PER_CALL): Date[] {
  const slots: Date[] = [];
  if (to.getTime() <= from.getTime()) return slots;
  const job = cronOf(schedule);
  let at = job.nextRun(from);
  while (at !== null && at.getTime() <= to.getTime() && slots.length < max) {
    slots.push(at);
    at = job.nextRun(at);
  }
  return slots;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after local midnight of `HH:MM`, or null when it is not a 24-hour time. */
export function minutesOf(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Seconds after local midnight of `at` in `timezone` (wall clock, so 03:30 on a DST day is 03:30). */
export function localSecondsOfDay(at: Date, timezone: string): number {
  let format = clockFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    clockFormats.set(timezone, format);
  }
  const part = (type: string) => Number(format.formatToParts(at).find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 3600 + part('minute') * 60 + part('second');
}

/**
 * Whether `at` falls inside the schedule's window, read on the wall clock of its time zone: [start, end), crossing
 * midnight when end is before start (22:00–02:00 holds 23:30 and 01:59, not 02:00). No window: always inside.
 */
export function inWindow(schedule: ScheduleTiming, at: Date): boolean {
  const w = schedule.window;
  if (!w) return true;
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === null || end === null || start === end) return false;
  const t = localSecondsOfDay(at, schedule.timezone);
  return start < end ? t >= start * 60 && t < end * 60 : t >= start * 60 || t < end * 60;
}

// Enough to meet every time of day and weekday of any practical cron, and the 29 February of a leap year.
const WINDOW_HORIZON_DAYS = 4 * 366;
// A schedule that fires this often has met every minute of the day long before; the scan stops there.
const WINDOW_SCAN_SLOTS = 20_000;

/**
 * Whether any fire time of the schedule falls inside its window (checked over the coming four years, or the next
 * 20 000 fire times). A schedule whose every slot is outside its window would only ever record SKIPPED slots.
 */
export function firesInWindow(schedule: ScheduleTiming, from: Date): boolean {
  if (!schedule.window) return true;
  const job = cronOf(schedule);
  const horizon = from.getTime() + WINDOW_HORIZON_DAYS * 86_400_000;
  let at = job.nextRun(from);
  for (let i = 0; at !== null && at.getTime() <= horizon && i < WINDOW_SCAN_SLOTS; i++) {
    if (inWindow(schedule, at)) return true;
    at = job.nextRun(at);
  }
  // Stopped by the slot cap: it fires too often to have skipped a whole window.
  return at !== null && at.getTime() <= horizon;
}
