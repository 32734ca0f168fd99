import { route } from '@/server/http/route';
import { createRestoreRequest, listRestoreRequests } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';
import { encodeCursor, pageOf, pageRequest, withoutPaging } from '@/server/http/pagination';

// The verb's own bounds, kept (they are documented): `limit` 1–500, 100 by default. The verb reads the newest N
// matching requests and has no `before` bound yet, so later pages are cut from the newest WINDOW of them.
const DEFAULT_LIMIT = 100;
const WINDOW = 500;
const byNewest = { key: (r: { createdAt: string; id: string }) => [r.createdAt, r.id], order: ['desc', 'desc'] as ('asc' | 'desc')[] };

export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query, { defaultLimit: DEFAULT_LIMIT, maxLimit: WINDOW });
  const filters = withoutPaging(query);
  if (page.after === null) {
    // The first page as before; one more is read (within the verb's bound) to know whether another follows.
    const rows = await listRestoreRequests(verb, { ...filters, limit: String(Math.min(page.limit + 1, WINDOW)) });
    const items = rows.slice(0, page.limit);
    const more = rows.length > page.limit || (rows.length === WINDOW && page.limit === WINDOW);
    return { items, nextCursor: more && items.length > 0 ? encodeCursor(byNewest.key(items[items.length - 1]!)) : null };
  }
  return pageOf(await listRestoreRequests(verb, { ...filters, limit: String(WINDOW) }), page, byNewest);
});
export const POST = route(async ({ verb, body }) => createRestoreRequest(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
