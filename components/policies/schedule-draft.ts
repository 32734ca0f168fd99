import { nextRuns } from '@/lib/schedule-time';
import { describeSchedule, formatSlot } from '@/lib/schedule-words';
import type { ApiIssue } from '@/components/api/client';

/**
 * The schedule editor's state, pure: every input kept as typed and sent so (the server parses with croner and has
 * the last word); a live preview words what croner reads. No browser or server imports, so it is unit-tested.
 */

export type ScheduleKind = 'backup' | 'verify' | 'prune';
export type BackupType = 'full' | 'incremental' | 'differential';

export interface ScheduleDraft {
  /** Kept from the stored schedule (its slots are named by it); empty for a new one: the server assigns it. */
  id: string;
  kind: ScheduleKind;
  backupType: BackupType;
  cron: string;
  timezone: string;
  hasWindow: boolean;
  windowStart: string;
  windowEnd: string;
}

/** The fields of one schedule row an API issue can point at. */
export type ScheduleField = 'kind' | 'backupType' | 'cron' | 'timezone' | 'window' | 'window.start' | 'window.end' | 'id';

export interface StoredScheduleLike {
  id: string;
  kind: ScheduleKind;
  backupType?: BackupType;
  cron: string;
  timezone: string;
  window?: { start: string; end: string } | null;
}

export function draftOf(s: StoredScheduleLike): ScheduleDraft {
  return {
    id: s.id,
    kind: s.kind,
    backupType: s.backupType ?? 'full',
    cron: s.cron,
    timezone: s.timezone,
    hasWindow: Boolean(s.window),
    windowStart: s.window?.start ?? '01:00',
    windowEnd: s.window?.end ?? '05:00',
  };
}

/** A new row: the seeds' weekly full backup, Sunday 03:00, in the browser's zone. */
export function newDraft(timezone = 'UTC'): ScheduleDraft {
  return { id: '', kind: 'backup', backupType: 'full', cron: '0 3 * * 0', timezone, hasWindow: false, windowStart: '01:00', windowEnd: '05:00' };
}

/** The body of `PATCH /policies/{id}` for these rows: `{ schedules }`, each as typed. */
export function bodyOf(drafts: readonly ScheduleDraft[]) {
  return {
    schedules: drafts.map((d) => ({
      ...(d.id ? { id: d.id } : {}),
      kind: d.kind,
      ...(d.kind === 'backup' ? { backupType: d.backupType } : {}),
      cron: d.cron,
      timezone: d.timezone,
      ...(d.hasWindow ? { window: { start: d.windowStart, end: d.windowEnd } } : {}),
    })),
  };
}

/**
 * The API's issues per row and field (`schedules.0.cron` → row 0, `cron`); issues about the list itself (too many)
 * or no schedule row go to `general`.
 */
export function issuesByRow(issues: readonly ApiIssue[]): { rows: Map<number, Partial<Record<ScheduleField, string>>>; general: string[] } {
  const rows = new Map<number, Partial<Record<ScheduleField, string>>>();
  const general: string[] = [];
  for (const issue of issues) {
    const [head, index, ...rest] = issue.path.map(String);
    const row = Number(index);
    if (head !== 'schedules' || index === undefined || !Number.isInteger(row)) {
      general.push(issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
      continue;
    }
    const field = (rest.join('.') || 'cron') as ScheduleField;
    const fields = rows.get(row) ?? {};
    if (!fields[field]) fields[field] = issue.message;
    rows.set(row, fields);
  }
  return { rows, general };
}

/** What croner reads from a row, for the live preview: words and the next three times, or why it cannot. */
export function previewOf(d: ScheduleDraft, now = new Date()): { words: string; next: string[] } | { error: string } {
  const s = { cron: d.cron, timezone: d.timezone, window: d.hasWindow ? { start: d.windowStart, end: d.windowEnd } : null };
  try {
    const next = nextRuns(s, now, 3);
    if (next.length === 0) return { error: 'never fires' };
    return { words: describeSchedule(s), next: next.map((t) => formatSlot(t, d.timezone)) };
  } catch (e) {
    return { error: e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e) };
  }
}

export const KIND_LABELS: Record<ScheduleKind, string> = { backup: 'Backup', verify: 'Verify', prune: 'Prune' };

/** "Full backup", "Verify", "Prune": what a schedule starts. */
export function kindLabel(s: { kind: ScheduleKind; backupType?: BackupType }): string {
  if (s.kind !== 'backup') return KIND_LABELS[s.kind];
  const type = s.backupType ?? 'full';
  return `${type[0]!.toUpperCase()}${type.slice(1)} backup`;
}
