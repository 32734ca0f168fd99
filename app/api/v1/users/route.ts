import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { createUser, listUsers } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

// Enabled first, by email; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listUsers(verb), page, { key: (u) => [u.disabled, u.email, u.id], order: ['asc', 'asc', 'asc'] });
});
export const POST = route(async ({ verb, body }) => createUser(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
