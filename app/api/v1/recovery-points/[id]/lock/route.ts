import { route } from '@/server/http/route';
import { lockRecoveryPoint } from '@/server/retention';

export const POST = route<{ id: string }>(async ({ actor, params, body }) => lockRecoveryPoint(actor, params.id, await body()));
