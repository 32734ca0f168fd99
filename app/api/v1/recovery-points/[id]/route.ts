import { route } from '@/server/http/route';
import { getRecoveryPoint } from '@/server/recovery-points';
import { deleteRecoveryPoint } from '@/server/retention';

export const GET = route<{ id: string }>(async ({ actor, params }) => getRecoveryPoint(actor, params.id));

export const DELETE = route<{ id: string }>(async ({ actor, params }) => deleteRecoveryPoint(actor, params.id));
