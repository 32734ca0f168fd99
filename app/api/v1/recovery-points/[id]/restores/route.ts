import { route } from '@/server/http/route';
import { restoreFromPoint } from '@/server/approvals';
import { otherMethods } from '@/server/http/fallbacks';

// A restore request for this point: the run (plus `restoreRequest`) when it needs no approval, else the waiting request.
export const POST = route<{ id: string }>(
  async ({ verb, params, body }) => restoreFromPoint(verb, params.id, await body()),
  { status: 202 },
);

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
