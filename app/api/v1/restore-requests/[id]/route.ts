import { route } from '@/server/http/route';
import { getRestoreRequest, updateRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getRestoreRequest(verb, params.id));
export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateRestoreRequest(verb, params.id, await body()));

// No DELETE: a request is a record (cancel it instead).
export const { POST, PUT, DELETE } = otherMethods('GET', 'PATCH');
