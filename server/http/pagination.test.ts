import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { decodeCursor, encodeCursor, keysetPage, pageOf, pageRequest, type PageRequest } from './pagination';

const items = Array.from({ length: 7 }, (_, i) => ({ id: `id-${i}`, name: `n${i}` }));
const byName = { key: (t: { id: string; name: string }) => [t.name, t.id], order: ['asc', 'asc'] as ('asc' | 'desc')[] };

/** Every page of `all`, following nextCursor from the first. */
function walk(all: typeof items, limit: number) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = pageOf(all, pageRequest({ limit: String(limit), ...(cursor ? { cursor } : {}) }), byName);
    pages.push(page.items.map((x) => x.id));
    if (page.nextCursor === null) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('no end');
}

describe('cursors', () => {
  it('round-trip as base64url JSON of the sort key', () => {
    const c = encodeCursor(['2026-03-14T02:00:41.112Z', 'f00', 3, true]);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toEqual(['2026-03-14T02:00:41.112Z', 'f00', 3, true]);
    expect(decodeCursor(c)).toEqual(['2026-03-14T02:00:41.112Z', 'f00', 3, true]);
  });

  it.each(['', 'not base64!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[]').toString('base64url'), Buffer.from('[{}]').toString('base64url'), 'x'.repeat(2000)])(
    'refuses %j with a 422 naming cursor',
    (bad) => {
      try {
        decodeCursor(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ZodError);
        expect((e as ZodError).issues[0]!.path).toEqual(['cursor']);
      }
    },
  );
});

describe('pageRequest', () => {
  it('defaults, bounds and blanks', () => {
    expect(pageRequest({})).toEqual({ limit: 50, after: null, explicit: false });
    expect(pageRequest({ limit: '', cursor: '' })).toEqual({ limit: 50, after: null, explicit: false });
    expect(pageRequest({ limit: '200' }).limit).toBe(200);
    expect(pageRequest({ limit: '7' }, { defaultLimit: 100, maxLimit: 500 })).toMatchObject({ limit: 7, explicit: true });
    expect(pageRequest({}, { defaultLimit: 100, maxLimit: 500 }).limit).toBe(100);
    for (const bad of ['0', '201', '-1', '1e2', '0x10', ' 5', 'NaN', '99999999999999999999']) {
      expect(() => pageRequest({ limit: bad }), bad).toThrow(ZodError);
    }
  });
});

describe('pageOf (whole lists)', () => {
  it('answers the whole list without paging parameters', () => {
    expect(pageOf(items, pageRequest({}), byName)).toEqual({ items, nextCursor: null });
  });

  it('walks every item once, in order, whatever the page size', () => {
    for (const limit of [1, 2, 3, 6, 7, 8]) {
      const pages = walk(items, limit);
      expect(pages.flat(), `limit ${limit}`).toEqual(items.map((x) => x.id));
      expect(pages.every((p) => p.length > 0 && p.length <= limit)).toBe(true);
    }
  });

  it('goes on after the key of an item deleted between two pages', () => {
    const first = pageOf(items, pageRequest({ limit: '3' }), byName);
    const without = items.filter((x) => x.id !== 'id-2');
    const second = pageOf(without, pageRequest({ limit: '3', cursor: first.nextCursor! }), byName);
    expect(second.items.map((x) => x.id)).toEqual(['id-3', 'id-4', 'id-5']);
  });
});

describe('keysetPage (verbs with a `before` bound)', () => {
  // Newest first by `at`, several sharing one instant; the verb takes `before` (exclusive) and at most `max` items.
  const rows = [9, 8, 8, 8, 7, 6, 6, 5, 4, 3, 2, 1].map((at, i) => ({ id: `r${i}`, at: String(at).padStart(2, '0') }));
  const fetcher = (max: number) => async (n: number, before: string | undefined) => {
    expect(n).toBeLessThanOrEqual(max);
    return rows.filter((r) => before === undefined || r.at < before).slice(0, n);
  };

  async function walkKeyset(limit: number, max: number) {
    const seen: string[] = [];
    let after: PageRequest['after'] = null;
    for (let i = 0; i < 30; i++) {
      const page = await keysetPage({ limit, after, explicit: true }, { fetch: fetcher(max), key: (r) => r.at, verbMax: max });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items.map((r) => r.id));
      if (page.nextCursor === null) return seen;
      after = decodeCursor(page.nextCursor);
    }
    throw new Error('no end');
  }

  it('never splits a group of equal keys, so nothing is skipped or repeated', async () => {
    for (const limit of [3, 4, 5, 12, 13]) {
      expect(await walkKeyset(limit, 200), `limit ${limit}`).toEqual(rows.map((r) => r.id));
    }
  });

  it('cuts only a group larger than the page (the rest of it is skipped, as documented)', async () => {
    expect(await walkKeyset(2, 200)).toEqual(rows.map((r) => r.id).filter((id) => id !== 'r3'));
  });

  it('works at the verb bound too (no probe row: the last group moves on)', async () => {
    expect(await walkKeyset(4, 4)).toEqual(rows.map((r) => r.id));
  });

  it('ends with nextCursor null', async () => {
    const page = await keysetPage({ limit: 50, after: null, explicit: false }, { fetch: fetcher(200), key: (r) => r.at });
    expect(page).toEqual({ items: rows, nextCursor: null });
  });
});
