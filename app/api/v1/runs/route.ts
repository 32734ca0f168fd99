import { route } from '@/server/http/route';
import { listRuns } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor, query }) => ({ items: await listRuns(actor, query) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
