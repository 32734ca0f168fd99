import { route } from '@/server/http/route';
import { setPolicyRetention } from '@/server/retention';

export const PUT = route<{ id: string }>(async ({ actor, params, body }) => setPolicyRetention(actor, params.id, await body()));
