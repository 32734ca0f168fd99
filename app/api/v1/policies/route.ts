import { route } from '@/server/http/route';
import { createPolicy, listPolicies } from '@/server/policies';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listPolicies(verb) }));
export const POST = route(async ({ verb, body }) => createPolicy(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
