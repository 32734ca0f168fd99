import type { ApiIssue } from '@/components/api/client';
import type { Retention } from '@/components/api/types';

/**
 * The retention editor's state: every input as the text in it, so that what the operator typed reaches the server
 * as typed and the server's validation (retention-policy.ts) is the only judge of it. Pure, for the tests.
 */

export const COUNT_RULES = [
  { rule: 'keepLast', label: 'Keep last', unit: 'points' },
  { rule: 'keepHourly', label: 'Keep hourly', unit: 'hours' },
  { rule: 'keepDaily', label: 'Keep daily', unit: 'days' },
  { rule: 'keepWeekly', label: 'Keep weekly', unit: 'weeks' },
  { rule: 'keepMonthly', label: 'Keep monthly', unit: 'months' },
  { rule: 'keepYearly', label: 'Keep yearly', unit: 'years' },
] as const;
export type CountRule = (typeof COUNT_RULES)[number]['rule'];

export const DURATION_RULES = [
  { rule: 'keepWithin', label: 'Keep within', hint: 'Every point from this long before the newest one, e.g. 30d, 12h, 2w, 1y.' },
  { rule: 'minRetention', label: 'Minimum retention', hint: 'Nothing younger than this is deleted, whatever the rules say.' },
] as const;
export type DurationRule = (typeof DURATION_RULES)[number]['rule'];

export interface TierDraft {
  /** React key: rows are added and removed, so the index is not an identity. */
  key: number;
  afterDays: string;
  storageClass: string;
}

export type RetentionDraft = Record<CountRule | DurationRule | 'timezone', string> & { tiers: TierDraft[] };

/** A field of the form an API issue can point at: a rule, the time zone, the tiers as a whole, or one tier's input. */
export type DraftField = CountRule | DurationRule | 'timezone' | 'tiers' | `tiers.${number}.afterDays` | `tiers.${number}.storageClass`;

let nextTierKey = 1;
export const newTier = (afterDays = '', storageClass = ''): TierDraft => ({ key: nextTierKey++, afterDays, storageClass });

/** The form for a stored retention (null: an empty form, i.e. no rule). */
export function draftOf(retention: Retention | null): RetentionDraft {
  const text = (v: number | string | undefined) => (v === undefined ? '' : String(v));
  return {
    keepLast: text(retention?.keepLast),
    keepHourly: text(retention?.keepHourly),
    keepDaily: text(retention?.keepDaily),
    keepWeekly: text(retention?.keepWeekly),
    keepMonthly: text(retention?.keepMonthly),
    keepYearly: text(retention?.keepYearly),
    keepWithin: text(retention?.keepWithin),
    minRetention: text(retention?.minRetention),
    timezone: retention?.timezone ?? 'UTC',
    tiers: (retention?.tiers ?? []).map((t) => newTier(String(t.afterDays), t.storageClass)),
  };
}

/** A number when the text is one (`7`, `-1`, `1.5`: the server says what is wrong with the last two), else the text. */
function numberOrText(text: string): number | string {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}

/**
 * The request body of `PUT …/retention`. An empty input leaves its rule out (the rule is off); anything else is sent,
 * even when wrong, so that the answer names the field. Tier rows are sent in order, one for one, so an issue's
 * `tiers.<i>` is row i of the form.
 */
export function bodyOf(draft: RetentionDraft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const { rule } of COUNT_RULES) {
    const v = draft[rule].trim();
    if (v !== '') body[rule] = numberOrText(v);
  }
  for (const { rule } of DURATION_RULES) {
    const v = draft[rule].trim();
    if (v !== '') body[rule] = v;
  }
  if (draft.tiers.length > 0) {
    body.tiers = draft.tiers.map((t) => {
      const tier: Record<string, unknown> = { storageClass: t.storageClass.trim() };
      if (t.afterDays.trim() !== '') tier.afterDays = numberOrText(t.afterDays.trim());
      return tier;
    });
  }
  // Empty: the server's default (UTC).
  if (draft.timezone.trim() !== '') body.timezone = draft.timezone.trim();
  return body;
}

const WHOLE = /^[0-9]+$/;
const DURATION = /^[1-9][0-9]*[hdwy]$/;

/**
 * The retention the form describes as far as it is well formed, for the live "in words" preview. Malformed values
 * are left out here; the server names them when the form is saved.
 */
export function previewOf(draft: RetentionDraft): Retention {
  const preview: Retention = { timezone: draft.timezone.trim() || 'UTC' };
  for (const { rule } of COUNT_RULES) {
    const v = draft[rule].trim();
    if (WHOLE.test(v) && Number(v) >= 1) preview[rule] = Number(v);
  }
  for (const { rule } of DURATION_RULES) {
    const v = draft[rule].trim();
    if (DURATION.test(v)) preview[rule] = v;
  }
  const tiers = draft.tiers
    .filter((t) => WHOLE.test(t.afterDays.trim()) && t.storageClass.trim() !== '')
    .map((t) => ({ afterDays: Number(t.afterDays.trim()), storageClass: t.storageClass.trim() }));
  if (tiers.length > 0) preview.tiers = tiers;
  return preview;
}

const FIELDS: ReadonlySet<string> = new Set([...COUNT_RULES.map((c) => c.rule), ...DURATION_RULES.map((d) => d.rule), 'timezone']);

/** Where an API issue path points in the form, or null when it is about the retention as a whole. */
export function fieldOfIssue(path: readonly string[]): DraftField | null {
  const [head, index, leaf] = path;
  if (head === undefined) return null;
  if (FIELDS.has(head)) return head as DraftField;
  if (head !== 'tiers') return null;
  if (index !== undefined && WHOLE.test(index) && (leaf === 'afterDays' || leaf === 'storageClass')) {
    return `tiers.${Number(index)}.${leaf}`;
  }
  return 'tiers';
}

/** An issue path as the form names it (`Keep within`, `Tier 2, storage class`), or the path itself. */
export function issueLabel(path: readonly string[]): string {
  const field = fieldOfIssue(path);
  if (field === null) return path.join('.');
  const rule = [...COUNT_RULES, ...DURATION_RULES].find((r) => r.rule === field);
  if (rule) return rule.label;
  if (field === 'timezone') return 'Time zone';
  if (field === 'tiers') return path.length > 1 ? `Tier ${Number(path[1]) + 1}` : 'Storage tiers';
  const [, index, leaf] = field.split('.');
  return `Tier ${Number(index) + 1}, ${leaf === 'afterDays' ? 'after (days)' : 'storage class'}`;
}

/** A VALIDATION answer's issues as one message per form field (the first one); the rest is for the alert. */
export function fieldMessages(issues: readonly ApiIssue[]): Partial<Record<DraftField, string>> {
  const fields: Partial<Record<DraftField, string>> = {};
  for (const issue of issues) {
    const field = fieldOfIssue(issue.path);
    if (field !== null && fields[field] === undefined) fields[field] = issue.message;
  }
  return fields;
}
