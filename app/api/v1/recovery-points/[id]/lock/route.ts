import { route } from '@/server/http/route';
import { lockRecoveryPoint } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ actor, params, body }) => lockRecoveryPoint(actor, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
