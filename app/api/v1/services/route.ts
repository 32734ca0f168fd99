import { route } from '@/server/http/route';
import { createService, listServices } from '@/server/services';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listServices(verb) }));
export const POST = route(async ({ verb, body }) => createService(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
