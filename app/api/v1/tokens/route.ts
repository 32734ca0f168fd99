import { route } from '@/server/http/route';
import { authorize, createApiToken, listApiTokens } from '@/server/auth';
import { DomainError } from '@/server/shared/errors';

export const GET = route(async ({ actor }) => ({ items: await listApiTokens(actor) }));
export const POST = route(
  async ({ actor, body }) => {
    authorize(actor, 'token:manage');
    // A token belongs to a person; a token cannot mint further tokens.
    if (actor.type !== 'user' || !actor.id) throw new DomainError('FORBIDDEN', 'API tokens are created by a signed-in admin');
    return createApiToken(actor, actor.id, await body());
  },
  { status: 201 },
);
