import { route } from '@/server/http/route';
import { testSourceConnection } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route(async ({ verb, body }) => testSourceConnection(verb, await body()));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
