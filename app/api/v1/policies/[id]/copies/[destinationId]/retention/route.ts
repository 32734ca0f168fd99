import { route } from '@/server/http/route';
import { setPolicyCopyRetention } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const PUT = route<{ id: string; destinationId: string }>(async ({ verb, params, body }) =>
  setPolicyCopyRetention(verb, params.id, params.destinationId, await body()),
);

export const { GET, POST, PATCH, DELETE } = otherMethods('PUT');
