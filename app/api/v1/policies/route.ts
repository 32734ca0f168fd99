import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { createPolicy, listPolicies } from '@/server/policies';
import { otherMethods } from '@/server/http/fallbacks';

// Paged on request (`?limit=`, `?cursor=`); without them the whole list, as before (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listPolicies(verb), page, { key: (p) => [p.name, p.id], order: ['asc', 'asc'] });
});
export const POST = route(async ({ verb, body }) => createPolicy(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
