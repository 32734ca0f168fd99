import { route } from '@/server/http/route';
import { deleteService, updateService } from '@/server/services';
import { otherMethods } from '@/server/http/fallbacks';

export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateService(verb, params.id, await body()));
export const DELETE = route<{ id: string }>(async ({ verb, params }) => deleteService(verb, params.id));

export const { GET, POST, PUT } = otherMethods('PATCH', 'DELETE');
