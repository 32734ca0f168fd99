import { route } from '@/server/http/route';
import { shredKey } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params, body }) => shredKey(verb, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
