import { route } from '@/server/http/route';
import { updateUser } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateUser(verb, params.id, await body()));

export const { GET, POST, PUT, DELETE } = otherMethods('PATCH');
