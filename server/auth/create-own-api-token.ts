import type { VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { createApiToken } from './api-tokens';
import { authorize } from './permissions';

/**
 * `POST /tokens`: the signed-in admin mints a token for themselves. A token belongs to a person, and a token cannot
 * mint further tokens (a leaked one could otherwise outlive its own revocation). The CLI, acting on the server, uses
 * `createApiToken` with an explicit owner.
 */
export async function createOwnApiToken(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'token:manage');
  if (actor.type !== 'user' || !actor.id) throw new DomainError('FORBIDDEN', 'API tokens are created by a signed-in admin');
  return createApiToken(ctx, actor.id, raw);
}
