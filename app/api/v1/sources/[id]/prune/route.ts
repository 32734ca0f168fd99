import { route } from '@/server/http/route';
import { requestPrune } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params }) => requestPrune(verb, params.id), { status: 202 });

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
