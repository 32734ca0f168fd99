import { route } from '@/server/http/route';
import { cancelRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// The requester or an admin.
export const POST = route<{ id: string }>(async ({ verb, params }) => cancelRestoreRequest(verb, params.id));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
