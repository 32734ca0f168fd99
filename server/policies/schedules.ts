import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { getEngine } from '@/server/engines/registry';
import { DomainError } from '@/server/shared/errors';
import { canonicalTimeZone, cronError, firesInWindow, minutesOf, nextRuns } from '@/lib/schedule-time';

// The pure time functions live in lib/ (the dashboard previews with them too); the scheduler and the SLO code import
// them from here or from lib/ alike.
export { inWindow, nextRuns, slotsBetween, MAX_SLOTS_PER_CALL, type ScheduleTiming } from '@/lib/schedule-time';
export { describeSchedule, describeTiming, describeWindow, formatSlot } from '@/lib/schedule-words';

export const SCHEDULE_KINDS = ['backup', 'verify', 'prune'] as const;
export const BACKUP_TYPES = ['full', 'incremental', 'differential'] as const;

// The scheduler serves minutes, not seconds: every fire is a catalog row per source (a one-second schedule would be
// 86 400 rows a day per source). Six-field crons are accepted for a seconds offset ("30 0 3 * * *"), not for speed.
export const MIN_SCHEDULE_GAP_SECONDS = 60;
// More schedules than a policy sensibly has (the runbooks' busiest source has four); past that it is a paste error.
export const MAX_SCHEDULES_PER_POLICY = 20;
// Sixty fires show an hourly, daily or weekly cron's spacing and catch a burst of seconds (`*/5 * 3 * * *`).
const GAP_SAMPLE = 60;

/** A schedule's id: stable across edits, named by its slots (`ScheduledSlot.scheduleId`). */
export const ScheduleId = z
  .string({ error: 'id must be text' })
  .regex(/^[A-Za-z0-9_-]{1,40}$/, { error: 'id may hold 1–40 letters, digits, _ and -' });

/** A new schedule's id: short, random, readable in a URL or a log line ("s-3f9a1c0b2e"). */
export function newScheduleId(): string {
  return `s-${randomBytes(5).toString('hex')}`;
}

const LocalTime = z
  .string({ error: 'must be a time HH:MM such as 01:00' })
  .refine((v) => minutesOf(v) !== null, { error: 'must be a 24-hour time HH:MM such as 01:00 or 23:30' });

/** Wall-clock times in the schedule's zone; end before start crosses midnight (22:00–02:00). */
export const ScheduleWindow = z
  .strictObject({ start: LocalTime, end: LocalTime })
  .refine((w) => w.start !== w.end, {
    error: 'end must differ from start (a window may cross midnight, e.g. 22:00 to 02:00)',
    path: ['end'],
  });

const Cron = z
  .string({ error: 'cron must be a cron expression such as 0 3 * * 0' })
  .trim()
  .min(1, { error: 'cron is required, e.g. 0 3 * * 0 (Sundays at 03:00)' })
  // Longer than any cron a person writes (lists of every minute of an hour fit); past that it is a paste error.
  .max(200, { error: 'cron is at most 200 characters' })
  .check((ctx) => {
    if (ctx.value === '') return; // said above; croner would add "exactly five or six parts" for the same input
    const reason = cronError(ctx.value);
    if (reason) ctx.issues.push({ code: 'custom', message: `not a valid cron expression: ${reason}`, input: ctx.value });
  });

const TimeZone = z
  .string({ error: 'timezone must be an IANA name such as UTC or Europe/Berlin' })
  .trim()
  .max(64, { error: 'timezone is at most 64 characters' })
  .transform((name, ctx) => {
    const canonical = canonicalTimeZone(name);
    if (canonical === null) {
      ctx.issues.push({ code: 'custom', message: `unknown time zone "${name}" (use an IANA name such as UTC or Europe/Berlin)`, input: name });
      return z.NEVER;
    }
    return canonical;
  });

/**
 * One schedule of a policy, as a client sends it. `id` may be left out (a new one is assigned) and is kept when
 * given; `backupType` belongs to backup schedules only and defaults to `full`; `timezone` defaults to UTC.
 */
export const PolicySchedule = z
  .strictObject({
    id: ScheduleId.optional(),
    kind: z.enum(SCHEDULE_KINDS, { error: 'kind must be backup, verify or prune' }),
    backupType: z.enum(BACKUP_TYPES, { error: 'backupType must be full, incremental or differential' }).optional(),
    cron: Cron,
    timezone: TimeZone.default('UTC'),
    window: ScheduleWindow.nullish(),
  })
  .check((ctx) => {
    const s = ctx.value;
    if (s.backupType !== undefined && s.kind !== 'backup') {
      ctx.issues.push({ code: 'custom', path: ['backupType'], message: `only backup schedules have a backupType (this one is ${s.kind})`, input: s.backupType });
    }
    // zod runs this check even when a field above failed: judge timing only from fields that parsed.
    if (typeof s.cron !== 'string' || typeof s.timezone !== 'string' || cronError(s.cron) || canonicalTimeZone(s.timezone) === null) return;
    const windowReadable = s.window && minutesOf(s.window.start) !== null && minutesOf(s.window.end) !== null && s.window.start !== s.window.end;
    const now = new Date();
    let upcoming: Date[];
    try {
      upcoming = nextRuns(s, now, GAP_SAMPLE);
    } catch {
      return; // the cron or the zone was refused above, with croner's reason
    }
    if (upcoming.length === 0) {
      ctx.issues.push({ code: 'custom', path: ['cron'], message: 'never fires (no date matches it)', input: s.cron });
      return;
    }
    const gap = upcoming.slice(1).reduce((min, at, i) => Math.min(min, (at.getTime() - upcoming[i]!.getTime()) / 1000), Infinity);
    if (gap < MIN_SCHEDULE_GAP_SECONDS) {
      ctx.issues.push({ code: 'custom', path: ['cron'], message: `fires every ${gap} s; a schedule fires at most once a minute`, input: s.cron });
    }
    if (s.window && windowReadable && !firesInWindow(s, now)) {
      ctx.issues.push({
        code: 'custom',
        path: ['window'],
        message: `no fire time of "${s.cron}" falls between ${s.window.start} and ${s.window.end} (${s.timezone}): every slot would be skipped`,
        input: s.window,
      });
    }
  })
  .transform((s) => ({
    id: s.id ?? newScheduleId(),
    kind: s.kind,
    ...(s.kind === 'backup' ? { backupType: s.backupType ?? 'full' } : {}),
    cron: s.cron,
    timezone: s.timezone,
    ...(s.window ? { window: { start: s.window.start, end: s.window.end } } : {}),
  }));

/** A schedule as stored on the policy (and sent back): id assigned, backup type filled in. */
export type StoredSchedule = z.output<typeof PolicySchedule>;

/** A policy's schedules: each parsed, ids unique. */
export const PolicySchedules = z
  .array(PolicySchedule, { error: 'schedules must be a list' })
  .max(MAX_SCHEDULES_PER_POLICY, { error: `a policy has at most ${MAX_SCHEDULES_PER_POLICY} schedules` })
  .check((ctx) => {
    const seen = new Set<string>();
    ctx.value.forEach((s, i) => {
      if (seen.has(s.id)) ctx.issues.push({ code: 'custom', path: [i, 'id'], message: `id "${s.id}" is used by another schedule of this policy`, input: s.id });
      seen.add(s.id);
    });
  });

/** The shape stored rows are read back with: lenient, so one unreadable entry never hides the others. */
const StoredScheduleRow = z.object({
  id: z.string(),
  kind: z.enum(SCHEDULE_KINDS),
  backupType: z.enum(BACKUP_TYPES).optional(),
  cron: z.string(),
  timezone: z.string(),
  window: z.object({ start: z.string(), end: z.string() }).optional(),
});

/** The schedules stored on a policy row (`Policy.schedules`, written only through `PolicySchedules`). */
export function storedSchedules(json: unknown): StoredSchedule[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((row) => {
    const parsed = StoredScheduleRow.safeParse(row);
    return parsed.success ? [parsed.data as StoredSchedule] : [];
  });
}

/**
 * Refuses schedules the engine of a source using the policy cannot serve: a backup type its definition does not
 * list (`backupTypes`; PostgreSQL logical offers only `full`). 422 naming the field and the engine, e.g.
 * "schedules.1.backupType: postgres (PostgreSQL) offers only full".
 */
export function assertPolicyFitsEngine(schedules: readonly { kind: string; backupType?: string }[], engineKind: string): void {
  const engine = getEngine(engineKind);
  const offered: readonly string[] = engine.backupTypes;
  const issues = schedules.flatMap((s, i) =>
    s.kind === 'backup' && s.backupType !== undefined && !offered.includes(s.backupType)
      ? [
          {
            path: ['schedules', String(i), 'backupType'],
            message: `${engine.kind} (${engine.label}) offers only ${offered.join(', ')}, not ${s.backupType}`,
          },
        ]
      : [],
  );
  if (issues.length === 0) return;
  throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
}
