import { route } from '@/server/http/route';
import { updateTier } from '@/server/services';
import { otherMethods } from '@/server/http/fallbacks';

export const PATCH = route<{ id: string }>(async ({ verb, params, body }) => updateTier(verb, params.id, await body()));

// No DELETE: a tier in use must not vanish under its services, and an unused one costs nothing to keep.
export const { GET, POST, PUT, DELETE } = otherMethods('PATCH');
