import { route } from '@/server/http/route';
import { assertOneBound, keysetPage, pageRequest, withoutPaging } from '@/server/http/pagination';
import { listRuns } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

// Newest first, 50 a page (as before); `nextCursor` pages on through the verb's own `before` bound, so the database
// reads one page at a time (server/http/pagination.ts, keysetPage). `before` alone still works as it did.
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  assertOneBound(page, query);
  const filters = withoutPaging(query);
  return keysetPage(page, {
    fetch: (n, before) => listRuns(verb, { ...filters, limit: String(n), ...((before ?? filters.before) ? { before: before ?? filters.before } : {}) }),
    key: (run) => run.createdAt,
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
