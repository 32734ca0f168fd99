import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { createTier, listTiers } from '@/server/services';
import { otherMethods } from '@/server/http/fallbacks';

// Tightest first; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listTiers(verb), page, {
    key: (t) => [t.rpoSeconds, t.rtoSeconds, t.name, t.id],
    order: ['asc', 'asc', 'asc', 'asc'],
  });
});
export const POST = route(async ({ verb, body }) => createTier(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
