import { route } from '@/server/http/route';
import { listDeliveries } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params, query }) => listDeliveries(verb, params.id, query));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
