import { route } from '@/server/http/route';
import { pageOf, pageRequest } from '@/server/http/pagination';
import { listRecoveryPoints } from '@/server/recovery-points';
import { otherMethods } from '@/server/http/fallbacks';

// Newest first; paged on request, else the whole list (server/http/pagination.ts).
export const GET = route<{ id: string }>(async ({ verb, params, query }) => {
  const page = pageRequest(query);
  return pageOf(await listRecoveryPoints(verb, params.id), page, { key: (p) => [p.createdAt, p.id], order: ['desc', 'desc'] });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
