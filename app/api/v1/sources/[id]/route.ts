import { route } from '@/server/http/route';
import { getSource } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getSource(verb, params.id));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
