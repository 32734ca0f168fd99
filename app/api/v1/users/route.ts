import { route } from '@/server/http/route';
import { createUser, listUsers } from '@/server/auth';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listUsers(verb) }));
export const POST = route(async ({ verb, body }) => createUser(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
