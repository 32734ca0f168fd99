import { route } from '@/server/http/route';
import { setLegalHold } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params, body }) => setLegalHold(verb, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
