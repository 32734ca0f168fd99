import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { listRunLogs } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

// Oldest first (the log as written); paged on request, else the whole log (server/http/pagination.ts).
export const GET = route<{ id: string }>(async ({ verb, params, query }) => {
  const page = pageRequest(query);
  return pageOf(await listRunLogs(verb, params.id), page, { key: (l) => [Number(l.id)], order: ['asc'] });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
