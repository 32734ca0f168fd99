import { route } from '@/server/http/route';
import { requestVerify } from '@/server/recovery-points';

export const POST = route<{ id: string }>(async ({ actor, params }) => requestVerify(actor, params.id), { status: 202 });
