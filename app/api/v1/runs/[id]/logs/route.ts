import { route } from '@/server/http/route';
import { listRunLogs } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ actor, params }) => ({ items: await listRunLogs(actor, params.id) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
