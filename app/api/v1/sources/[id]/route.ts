import { route } from '@/server/http/route';
import { deleteSource, getSource, updateSource } from '@/server/inventory';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => getSource(verb, params.id));
export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateSource(verb, params.id, await body()));
// The typed confirmation travels in the query (`?keepPoints=false&confirm=<name>`): some proxies and clients drop
// DELETE bodies.
export const DELETE = route<{ id: string }>(async ({ verb, params, query }) =>
  deleteSource(verb, params.id, { keepPoints: query.keepPoints, confirm: query.confirm }),
);

export const { POST, PUT } = otherMethods('GET', 'PATCH', 'DELETE');
