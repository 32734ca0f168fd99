import { route } from '@/server/http/route';
import { createOwnApiToken, listApiTokens } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor }) => ({ items: await listApiTokens(actor) }));
export const POST = route(async ({ actor, body }) => createOwnApiToken(actor, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
