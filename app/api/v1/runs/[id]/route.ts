import { route } from '@/server/http/route';
import { getRun } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ actor, params }) => getRun(actor, params.id));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
