import { DomainError } from '@/server/shared/errors';
import { createApiToken } from './api-tokens';
import { authorize, type Actor } from './permissions';

/**
 * `POST /tokens`: the signed-in admin mints a token for themselves. A token belongs to a person, and a token cannot
 * mint further tokens (a leaked one could otherwise outlive its own revocation). The CLI, acting on the server, uses
 * `createApiToken` with an explicit owner.
 */
export async function createOwnApiToken(actor: Actor | null, raw: unknown) {
  authorize(actor, 'token:manage');
  if (actor.type !== 'user' || !actor.id) throw new DomainError('FORBIDDEN', 'API tokens are created by a signed-in admin');
  return createApiToken(actor, actor.id, raw);
}
