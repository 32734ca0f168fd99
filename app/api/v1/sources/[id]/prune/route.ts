import { route } from '@/server/http/route';
import { requestPrune } from '@/server/retention';

export const POST = route<{ id: string }>(async ({ actor, params }) => requestPrune(actor, params.id), { status: 202 });
