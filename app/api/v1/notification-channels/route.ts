import { route } from '@/server/http/route';
import { createChannel, listChannels } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listChannels(verb) }));
export const POST = route(async ({ verb, body }) => createChannel(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
