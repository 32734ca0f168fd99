import { route } from '@/server/http/route';
import { getRecoveryPoint } from '@/server/recovery-points';
import { deleteRecoveryPoint } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ actor, params }) => getRecoveryPoint(actor, params.id));

export const DELETE = route<{ id: string }>(async ({ actor, params }) => deleteRecoveryPoint(actor, params.id));

export const { POST, PUT, PATCH } = otherMethods('GET', 'DELETE');
