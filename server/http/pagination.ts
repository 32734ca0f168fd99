import { z } from 'zod';

/**
 * Cursor pagination for the API's lists (docs/API.md, "Pagination"). A cursor is opaque to clients: base64url of
 * the JSON array of the last item's sort key (`["2026-03-14T02:00:41.112Z"]`, `["orders-db","5f0e…"]`). Lists
 * answer `{ items, nextCursor }`; `nextCursor` is null on the last page.
 */

/** The page size when a client pages without saying: one screen. */
export const DEFAULT_PAGE_LIMIT = 50;
/** The largest page: what every list verb already allowed, and a few hundred KiB of JSON at most. */
export const MAX_PAGE_LIMIT = 200;
// A cursor is a sort key of a few short values; anything longer than this is not one of ours.
const MAX_CURSOR_CHARS = 1_000;

export type SortValue = string | number | boolean;
export type SortKey = SortValue[];
export type Direction = 'asc' | 'desc';

/** The JSON a cursor carries, before base64url. */
const CursorKey = z.array(z.union([z.string().max(500), z.number(), z.boolean()])).min(1).max(8);

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The 422 for a cursor this API did not hand out (also for a list that checks its cursor's contents itself). */
export const invalidCursor = () =>
  new z.ZodError([{ code: 'custom', path: ['cursor'], message: 'cursor is not one this list gave out (pass nextCursor back unchanged)', input: undefined }]);

/** The sort key a cursor holds; a 422 naming `cursor` for anything this API did not hand out. */
export function decodeCursor(cursor: string): SortKey {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const parsed = CursorKey.safeParse(value);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

/** `limit` as a list takes it: digits only (so `1e3`, `0x10`, ` 5` are refused, not coerced), within bounds. */
const limitSchema = (max: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, { message: `limit must be a whole number from 1 to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(1, { message: `limit must be a whole number from 1 to ${max}` }).max(max, { message: `limit must be at most ${max}` }));

export interface PageOptions {
  defaultLimit?: number;
  maxLimit?: number;
}

/**
 * The paging parameters of a list: what `pageRequest` parses with, and what server/openapi documents for the list
 * (so the two cannot drift).
 */
export function pageQuerySchema(opts: PageOptions = {}) {
  const max = opts.maxLimit ?? MAX_PAGE_LIMIT;
  const byDefault = opts.defaultLimit ?? DEFAULT_PAGE_LIMIT;
  return z.object({
    limit: limitSchema(max)
      .optional()
      .meta({ description: `Items per page, 1–${max} (default ${byDefault}).` }),
    cursor: z
      .string()
      .optional()
      .meta({ description: 'The `nextCursor` of the previous page, unchanged; absent for the first page.' }),
  });
}

export interface PageRequest {
  limit: number;
  /** The sort key of the previous page's last item; null for the first page. */
  after: SortKey | null;
  /** True when the client asked for a page (`limit` or `cursor` given). */
  explicit: boolean;
}

/** Reads `limit` and `cursor` from a query; 422 naming the parameter when either is not valid. */
export function pageRequest(query: Record<string, string>, opts: PageOptions = {}): PageRequest {
  // `?limit=&cursor=` (a form's empty fields) means no paging parameters, not invalid ones.
  const given = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
  const parsed = pageQuerySchema(opts).parse({ limit: given(query.limit), cursor: given(query.cursor) });
  return {
    limit: parsed.limit ?? opts.defaultLimit ?? DEFAULT_PAGE_LIMIT,
    after: parsed.cursor === undefined ? null : decodeCursor(parsed.cursor),
    explicit: parsed.limit !== undefined || parsed.cursor !== undefined,
  };
}

/** A list that also takes its older `before` bound: one of the two, not both (which would win is not obvious). */
export function assertOneBound(page: PageRequest, query: Record<string, string>): void {
  if (page.after !== null && query.before !== undefined && query.before !== '') {
    throw new z.ZodError([{ code: 'custom', path: ['cursor'], message: 'give cursor or before, not both', input: undefined }]);
  }
}

/** `query` without the paging parameters, for a verb whose own schema refuses unknown keys. */
export function withoutPaging(query: Record<string, string>): Record<string, string> {
  const { limit: _limit, cursor: _cursor, ...rest } = query;
  return rest;
}

export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

/** How a list is ordered: the key of an item (ending in something unique, its id) and each part's direction. */
export interface SortSpec<T> {
  key: (item: T) => SortKey;
  order: Direction[];
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Negative when `a` comes before `b` in the list's order. */
function compareKeys(a: SortKey, b: SortKey, order: Direction[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return order[i] === 'desc' ? -c : c;
  }
  return a.length - b.length;
}

const sameKey = (a: SortKey, b: SortKey) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * One page of a list its verb returns whole, in the verb's order. Without `limit` and `cursor` the answer is the
 * whole list, as before pagination existed (the dashboard and scripts read these lists whole), with
 * `nextCursor: null`. A page starts after the item the cursor names; if that item is gone (deleted between two
 * pages), after the first item that sorts after its key.
 */
export function pageOf<T>(all: readonly T[], page: PageRequest, spec: SortSpec<T>): Paged<T> {
  if (!page.explicit) return { items: [...all], nextCursor: null };
  let start = 0;
  if (page.after) {
    const after = page.after;
    const exact = all.findIndex((item) => sameKey(spec.key(item), after));
    if (exact >= 0) start = exact + 1;
    else {
      const next = all.findIndex((item) => compareKeys(spec.key(item), after, spec.order) > 0);
      start = next < 0 ? all.length : next;
    }
  }
  const items = all.slice(start, start + page.limit);
  const more = start + page.limit < all.length;
  return { items, nextCursor: more && items.length > 0 ? encodeCursor(spec.key(items[items.length - 1]!)) : null };
}

/**
 * One page of a list whose verb pages itself by an exclusive bound (`before`: a time or an id, newest first), so
 * that the database reads one page, not the whole list. One item more than the page is read to know whether
 * another follows. When items share a key (runs created in one transaction share `createdAt`), a group cut by the
 * page's end moves whole to the next page (an exclusive bound would skip the rest of it); only a group larger than
 * the page is cut, and the rest of it skipped.
 *
 * `fetch(n, before)` returns at most `n` items, newest first, all with keys below `before` when given; `verbMax` is
 * the largest `n` the verb takes (when the page is that large, "more" is assumed when the page is full).
 */
export async function keysetPage<T>(
  page: PageRequest,
  opts: { fetch: (n: number, before: string | undefined) => Promise<T[]>; key: (item: T) => string; unique?: boolean; verbMax?: number },
): Promise<Paged<T>> {
  const verbMax = opts.verbMax ?? MAX_PAGE_LIMIT;
  const before = page.after === null ? undefined : String(page.after[0]);
  const n = Math.min(page.limit + 1, verbMax);
  const rows = await opts.fetch(n, before);
  const probed = rows.length > page.limit;
  const full = rows.length >= page.limit && n === page.limit;
  if (!probed && !full) return { items: rows, nextCursor: null };
  let items = rows.slice(0, page.limit);
  const lastKey = opts.key(items[items.length - 1]!);
  // Without the probe row, the last group may continue past the page: move it whole unless it is the whole page.
  const groupCut = !opts.unique && (probed ? opts.key(rows[page.limit]!) === lastKey : true);
  if (groupCut) {
    const kept = items.filter((item) => opts.key(item) !== lastKey);
    if (kept.length > 0) items = kept;
  }
  return { items, nextCursor: encodeCursor([opts.key(items[items.length - 1]!)]) };
}
