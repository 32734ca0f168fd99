import { route } from '@/server/http/route';
import { requestRestore } from '@/server/restores';

export const POST = route<{ id: string }>(
  async ({ actor, params, body }) => requestRestore(actor, params.id, await body()),
  { status: 202 },
);
