import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { createOwnApiToken, listApiTokens } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

// Newest first; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listApiTokens(verb), page, { key: (t) => [t.createdAt, t.id], order: ['desc', 'desc'] });
});
export const POST = route(async ({ verb, body }) => createOwnApiToken(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
