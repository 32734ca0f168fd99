import { route } from '@/server/http/route';
import { listRuns } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb, query }) => ({ items: await listRuns(verb, query) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
