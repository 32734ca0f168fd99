import { route } from '@/server/http/route';
import { deletePolicy, updatePolicy } from '@/server/policies';
import { otherMethods } from '@/server/http/fallbacks';

export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updatePolicy(verb, params.id, await body()));
export const DELETE = route<{ id: string }>(async ({ verb, params }) => deletePolicy(verb, params.id));

export const { GET, POST, PUT } = otherMethods('PATCH', 'DELETE');
