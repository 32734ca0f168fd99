import { route } from '@/server/http/route';
import { getRun } from '@/server/runs';

export const GET = route<{ id: string }>(async ({ actor, params }) => getRun(actor, params.id));
