import { route } from '@/server/http/route';
import { requestRestore } from '@/server/restores';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(
  async ({ verb, params, body }) => requestRestore(verb, params.id, await body()),
  { status: 202 },
);

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
