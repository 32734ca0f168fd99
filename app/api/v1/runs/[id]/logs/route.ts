import { route } from '@/server/http/route';
import { listRunLogs } from '@/server/runs';

export const GET = route<{ id: string }>(async ({ actor, params }) => ({ items: await listRunLogs(actor, params.id) }));
