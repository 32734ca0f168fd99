import { route } from '@/server/http/route';
import { shredKey } from '@/server/keys';

export const POST = route<{ id: string }>(async ({ actor, params, body }) => shredKey(actor, params.id, await body()));
