import { route } from '@/server/http/route';
import { createDestination, listDestinations } from '@/server/inventory';

export const GET = route(async ({ actor }) => ({ items: await listDestinations(actor) }));
export const POST = route(async ({ actor, body }) => createDestination(actor, await body()), { status: 201 });
