import { route } from '@/server/http/route';
import { createSource, listSources } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listSources(verb) }));
export const POST = route(async ({ verb, body }) => createSource(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
