import { route } from '@/server/http/route';
import { requestVerify } from '@/server/recovery-points';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params }) => requestVerify(verb, params.id), { status: 202 });

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
