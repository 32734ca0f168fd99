/**
 * What one stored object of a recovery point holds, in a few short lines for the points table, from the engine's
 * `details` (the catalog's `RecoveryPointObject.details`, never secrets). Only known keys are worded; other plain
 * values follow as `key value`, so a new engine's details still show without a change here. Pure, for tests.
 */

import { formatBytes } from '@/components/ui/format';

// Enough to recognise an object at a glance; the rest is counted ("+12 more").
const MAX_ITEMS = 5;
const MAX_OTHER_KEYS = 3;
const MAX_TEXT = 60;

export interface PointObjectView {
  role: string;
  /** Stored bytes, when the answer says. */
  size: number | null;
  details: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (n: number) => n.toLocaleString('en-US');
const text = (v: unknown) => {
  const s = String(v);
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
};
const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;

function list(items: string[]): string {
  const shown = items.slice(0, MAX_ITEMS).join(', ');
  return items.length > MAX_ITEMS ? `${shown} (+${count(items.length - MAX_ITEMS)} more)` : shown;
}

/** `customers 3,000 rows`, from `{ name, rows }`-like entries or a `{ name: rows }` map. */
function tables(value: unknown): string[] | undefined {
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((t): [string, unknown] => (isRecord(t) ? [String(t.name ?? t.table ?? '?'), t.rows ?? t.rowCount ?? t.count] : [String(t), undefined]))
    : isRecord(value)
      ? Object.entries(value)
      : [];
  if (entries.length === 0) return undefined;
  return entries.map(([name, rows]) => (typeof rows === 'number' ? `${text(name)} ${plural(rows, 'row', 'rows')}` : text(name)));
}

/** `db0 1,234 keys`, from a `{ db: keys }` map (values a number or `{ keys }`) or `[{ db, keys }]`. */
function keyCounts(value: unknown): string | undefined {
  if (typeof value === 'number') return plural(value, 'key', 'keys');
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.filter(isRecord).map((e): [string, unknown] => [String(e.db ?? e.database ?? '?'), e.keys ?? e.count])
    : isRecord(value)
      ? Object.entries(value).map(([db, v]): [string, unknown] => [db, isRecord(v) ? v.keys : v])
      : [];
  const worded = entries
    .filter(([, n]) => typeof n === 'number')
    .map(([db, n]) => `${/^\d+$/.test(db) ? `db${db}` : text(db)} ${plural(n as number, 'key', 'keys')}`);
  return worded.length > 0 ? list(worded) : undefined;
}

function names(value: unknown): string[] {
  if (!Array.isArray(value)) return typeof value === 'string' ? [text(value)] : [];
  return value.map((v) => (isRecord(v) ? text(v.name ?? v.path ?? v.file ?? '?') : text(v)));
}

const KNOWN: Record<string, (value: unknown) => string | undefined> = {
  database: (v) => (typeof v === 'string' ? `database ${text(v)}` : undefined),
  databases: (v) => (names(v).length > 0 ? `databases ${list(names(v))}` : undefined),
  tables: (v) => {
    const t = tables(v);
    return t === undefined ? undefined : `${plural(t.length, 'table', 'tables')}: ${list(t)}`;
  },
  keys: keyCounts,
  keyspace: keyCounts,
  dbs: keyCounts,
  // A Redis snapshot's INFO used_memory at backup time.
  usedMemory: (v) => (typeof v === 'number' ? `${formatBytes(v)} in memory` : undefined),
  file: (v) => (typeof v === 'string' ? `file ${text(v)}` : undefined),
  fileName: (v) => (typeof v === 'string' ? `file ${text(v)}` : undefined),
  path: (v) => (typeof v === 'string' ? `file ${text(v)}` : undefined),
  files: (v) => (names(v).length > 0 ? `${plural(names(v).length, 'file', 'files')}: ${list(names(v))}` : undefined),
};

/** The lines to show under an object: known keys first, in the order above, then up to three other plain values. */
export function describeObjectDetails(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, word] of Object.entries(KNOWN)) {
    if (!(key in details)) continue;
    const line = word(details[key]);
    if (line !== undefined) lines.push(line);
  }
  const others = Object.entries(details)
    .filter(([key, v]) => !(key in KNOWN) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    .slice(0, MAX_OTHER_KEYS)
    .map(([key, v]) => `${key} ${typeof v === 'number' ? count(v) : text(v)}`);
  return [...lines, ...others];
}

/**
 * The objects of a point as the recovery-point answer lists them (`objects: [{ role, size, sha256, details }]`);
 * an answer without the field (or an empty one) means the point's single `data` object, of the point's size.
 */
export function pointObjectViews(point: { sizeBytes: number; objects?: unknown }): PointObjectView[] {
  const objects = Array.isArray(point.objects) ? point.objects.filter(isRecord).filter((o) => typeof o.role === 'string') : [];
  if (objects.length === 0) return [{ role: 'data', size: point.sizeBytes, details: {} }];
  return objects.map((o) => {
    const size = typeof o.size === 'number' ? o.size : typeof o.sizeBytes === 'number' ? o.sizeBytes : null;
    return { role: o.role as string, size, details: isRecord(o.details) ? o.details : {} };
  });
}
