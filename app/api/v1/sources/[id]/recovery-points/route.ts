import { route } from '@/server/http/route';
import { listRecoveryPoints } from '@/server/recovery-points';

export const GET = route<{ id: string }>(async ({ actor, params }) => ({ items: await listRecoveryPoints(actor, params.id) }));
