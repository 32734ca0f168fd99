import { route } from '@/server/http/route';
import { testSourceConnection } from '@/server/inventory';

export const POST = route(async ({ actor, body }) => testSourceConnection(actor, await body()));
