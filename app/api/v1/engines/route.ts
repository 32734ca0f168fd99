import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { otherMethods } from '@/server/http/fallbacks';
import { listEngines } from '@/server/inventory';

// The registry's order; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route(async ({ verb, query }) => {
  const page = pageRequest(query);
  return pageOf(listEngines(verb), page, { key: (e) => [e.kind], order: ['asc'] });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
