import { route } from '@/server/http/route';
import { getRecoveryPoint } from '@/server/recovery-points';
import { deleteRecoveryPoint } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getRecoveryPoint(verb, params.id));

export const DELETE = route<{ id: string }>(async ({ verb, params }) => deleteRecoveryPoint(verb, params.id));

export const { POST, PUT, PATCH } = otherMethods('GET', 'DELETE');
