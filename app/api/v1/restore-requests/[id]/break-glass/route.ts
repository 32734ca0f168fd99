import { route } from '@/server/http/route';
import { breakGlassRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// { reason } (at least 15 characters): admins only; runs without approvals, flagged until acknowledged.
export const POST = route<{ id: string }>(async ({ verb, params, body }) => breakGlassRestoreRequest(verb, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
