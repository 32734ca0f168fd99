import { route } from '@/server/http/route';
import { getRun } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getRun(verb, params.id));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
