import { route } from '@/server/http/route';
import { listAuditEvents } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';
import { assertOneBound, keysetPage, pageRequest, withoutPaging } from '@/server/http/pagination';

// Newest first, 50 a page (as before); `nextCursor` pages on by event id through the verb's `before` bound
// (server/http/pagination.ts, keysetPage). `before` alone still works as it did.
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  assertOneBound(page, query);
  const filters = withoutPaging(query);
  return keysetPage(page, {
    fetch: (n, before) => listAuditEvents(verb, { ...filters, limit: String(n), ...((before ?? filters.before) ? { before: before ?? filters.before } : {}) }),
    key: (event) => event.id,
    unique: true,
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
