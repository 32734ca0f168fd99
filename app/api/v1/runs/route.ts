import { route } from '@/server/http/route';
import { listRuns } from '@/server/runs';

export const GET = route(async ({ actor, query }) => ({ items: await listRuns(actor, query) }));
