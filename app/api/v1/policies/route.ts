import { route } from '@/server/http/route';
import { createPolicy, listPolicies } from '@/server/policies';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor }) => ({ items: await listPolicies(actor) }));
export const POST = route(async ({ actor, body }) => createPolicy(actor, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
