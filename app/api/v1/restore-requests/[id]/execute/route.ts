import { route } from '@/server/http/route';
import { executeRestoreRequest } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// An APPROVED request that did not run when its last approval landed; approvals are judged again.
export const POST = route<{ id: string }>(async ({ verb, params }) => executeRestoreRequest(verb, params.id));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
