import { route } from '@/server/http/route';
import { updateDestination } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateDestination(verb, params.id, await body()));

export const { GET, POST, PUT, DELETE } = otherMethods('PATCH');
