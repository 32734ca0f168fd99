import { route } from '@/server/http/route';
import { createPolicy, listPolicies } from '@/server/policies';

export const GET = route(async ({ actor }) => ({ items: await listPolicies(actor) }));
export const POST = route(async ({ actor, body }) => createPolicy(actor, await body()), { status: 201 });
