import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/fallbacks';
import { listEngines } from '@/server/inventory';

export const GET = route(async ({ verb }) => ({ items: listEngines(verb) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
