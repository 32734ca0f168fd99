import { route } from '@/server/http/route';
import { deleteRecoveryPoint } from '@/server/retention';

export const DELETE = route<{ id: string }>(async ({ actor, params }) => deleteRecoveryPoint(actor, params.id));
