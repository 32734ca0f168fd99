import { route } from '@/server/http/route';
import { testSourceConnection } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route(async ({ actor, body }) => testSourceConnection(actor, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
