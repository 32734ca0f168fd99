import { route } from '@/server/http/route';
import { rejectRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// { comment? }: any approver's rejection ends the request.
export const POST = route<{ id: string }>(async ({ verb, params, body }) => rejectRestoreRequest(verb, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
