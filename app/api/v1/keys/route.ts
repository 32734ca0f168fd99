import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { listKeys } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

// Newest first; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(await listKeys(verb), page, { key: (k) => [k.createdAt, k.id], order: ['desc', 'desc'] });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
