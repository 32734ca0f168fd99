import { route } from '@/server/http/route';
import { setPolicyRetention } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const PUT = route<{ id: string }>(async ({ verb, params, body }) => setPolicyRetention(verb, params.id, await body()));

export const { GET, POST, PATCH, DELETE } = otherMethods('PUT');
