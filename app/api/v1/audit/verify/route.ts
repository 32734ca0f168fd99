import { route } from '@/server/http/route';
import { verifyAuditTrail } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';

/** `{ ok, checked, firstBad, anchor, head, verifiedAt }`: 200 whether or not the chain verifies (the answer says). */
export const GET = route(async ({ verb }) => verifyAuditTrail(verb));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
