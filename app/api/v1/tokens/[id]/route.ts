import { route } from '@/server/http/route';
import { revokeApiToken } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

/** Revokes the token (200 with it, also when it was already revoked). */
export const DELETE = route<{ id: string }>(async ({ verb, params }) => revokeApiToken(verb, params.id));

export const { GET, POST, PUT, PATCH } = otherMethods('DELETE');
