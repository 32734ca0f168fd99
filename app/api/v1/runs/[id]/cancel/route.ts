import { route } from '@/server/http/route';
import { cancelRun } from '@/server/runs';

export const POST = route<{ id: string }>(async ({ actor, params }) => cancelRun(actor, params.id), { status: 202 });
