import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { createChannel, listChannels } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

// Paged on request (`?limit=`, `?cursor=`); without them the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listChannels(verb), page, { key: (c) => [c.name, c.id], order: ['asc', 'asc'] });
});
export const POST = route(async ({ verb, body }) => createChannel(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
