import { route } from '@/server/http/route';
import { requestBackup } from '@/server/runs';

export const POST = route<{ id: string }>(async ({ actor, params }) => requestBackup(actor, params.id), { status: 202 });
