import { route } from '@/server/http/route';
import { createTier, listTiers } from '@/server/services';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listTiers(verb) }));
export const POST = route(async ({ verb, body }) => createTier(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
