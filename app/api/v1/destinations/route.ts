import { route } from '@/server/http/route';
import { createDestination, listDestinations } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor }) => ({ items: await listDestinations(actor) }));
export const POST = route(async ({ actor, body }) => createDestination(actor, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
