import type { Actor } from '@/server/auth/permissions';
import { DomainError } from '@/server/shared/errors';

/**
 * A tier's `restoreApprovals` decides who may restore its sources without anyone else agreeing, so only an admin
 * sets it (an operator, who writes the inventory, could otherwise lower it to zero before restoring).
 */
export function assertMayChangeRestoreApprovals(actor: Actor, restoreApprovals: number | undefined): void {
  if (restoreApprovals === undefined || actor.role === 'ADMIN') return;
  throw new DomainError('FORBIDDEN', "only an admin may set a tier's restoreApprovals");
}
