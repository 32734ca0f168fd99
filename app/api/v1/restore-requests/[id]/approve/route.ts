import { route } from '@/server/http/route';
import { approveRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// { comment? }: counts once per approver and version; the approval that satisfies the rule executes the request.
export const POST = route<{ id: string }>(async ({ verb, params, body }) => approveRestoreRequest(verb, params.id, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
