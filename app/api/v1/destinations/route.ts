import { route } from '@/server/http/route';
import { createDestination, listDestinations } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listDestinations(verb) }));
export const POST = route(async ({ verb, body }) => createDestination(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
