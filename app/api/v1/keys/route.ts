import { route } from '@/server/http/route';
import { listKeys } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb }) => ({ items: await listKeys(verb) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
