/**
 * The Audit page's filters as the page holds them (form values) and as the API takes them (query parameters of
 * `GET /api/v1/audit` and `GET /api/v1/audit/export`, the same names).
 */

export interface AuditFilterDraft {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  /** `<input type="datetime-local">` values: local time to the minute, '' for none. */
  from: string;
  to: string;
}

export const EMPTY_FILTER: AuditFilterDraft = { actor: '', action: '', targetType: '', targetId: '', from: '', to: '' };

/**
 * A local `datetime-local` value as an ISO instant: `from` at the start of its minute, `to` at the end of it (so
 * "to 14:05" includes what happened during 14:05, the API's `to` being inclusive). Null when empty or unreadable.
 */
export function localToIso(value: string, edge: 'start' | 'end'): string | null {
  if (!value) return null;
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return null;
  return new Date(edge === 'end' ? t + 59_999 : t).toISOString();
}

/** The query parameters for a filter: only what is set, text trimmed. */
export function filterParams(f: AuditFilterDraft): URLSearchParams {
  const q = new URLSearchParams();
  for (const key of ['actor', 'action', 'targetType', 'targetId'] as const) {
    const v = f[key].trim();
    if (v) q.set(key, v);
  }
  const from = localToIso(f.from, 'start');
  const to = localToIso(f.to, 'end');
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  return q;
}

export const isFiltered = (f: AuditFilterDraft): boolean => filterParams(f).size > 0;

/** Where the export of the filtered set downloads from. */
export function exportHref(f: AuditFilterDraft, format: 'csv' | 'json'): string {
  const q = filterParams(f);
  q.set('format', format);
  return `/api/v1/audit/export?${q.toString()}`;
}

/** The list's path for one page: `before` an event id (newest first), one more than shown to know if there is more. */
export function listPath(f: AuditFilterDraft, before: string | null, limit: number): string {
  const q = filterParams(f);
  q.set('limit', String(limit));
  if (before) q.set('before', before);
  return `/audit?${q.toString()}`;
}

/** The cursor that shows event `id` first: `before` is exclusive, so one past it. */
export const cursorAt = (id: string): string => (BigInt(id) + 1n).toString();
