import { route } from '@/server/http/route';
import { acknowledgeBreakGlass } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// An approver or admin (not the one who broke glass) acknowledges a break-glass restore.
export const POST = route<{ id: string }>(async ({ verb, params }) => acknowledgeBreakGlass(verb, params.id));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
