import { route } from '@/server/http/route';
import { setLegalHold } from '@/server/retention';

export const POST = route<{ id: string }>(async ({ actor, params, body }) => setLegalHold(actor, params.id, await body()));
