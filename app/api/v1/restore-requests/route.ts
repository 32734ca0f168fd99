import { route } from '@/server/http/route';
import { createRestoreRequest, listRestoreRequests } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb, query }) => ({ items: await listRestoreRequests(verb, query) }));
export const POST = route(async ({ verb, body }) => createRestoreRequest(verb, await body()), { status: 201 });

export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');
