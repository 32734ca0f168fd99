import { route } from '@/server/http/route';
import { createOwnApiToken, listApiTokens } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listApiTokens(verb) }));
export const POST = route(async ({ verb, body }) => createOwnApiToken(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
