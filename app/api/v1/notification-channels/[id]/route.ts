import { route } from '@/server/http/route';
import { deleteChannel, getChannel, updateChannel } from '@/server/notifications';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getChannel(verb, params.id));
export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateChannel(verb, params.id, await body()));
export const DELETE = route<{ id: string }>(async ({ verb, params }) => deleteChannel(verb, params.id));

export const { POST, PUT } = otherMethods('GET', 'PATCH', 'DELETE');
