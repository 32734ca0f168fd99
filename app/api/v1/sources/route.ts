import { route } from '@/server/http/route';
import { createSource, listSources } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor }) => ({ items: await listSources(actor) }));
export const POST = route(async ({ actor, body }) => createSource(actor, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
