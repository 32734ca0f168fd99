import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/fallbacks';
import { listSlots } from '@/server/slo';

export const GET = route<{ id: string }>(async ({ verb, params, query }) => listSlots(verb, params.id, query));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
