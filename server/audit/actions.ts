import { z } from 'zod';

/**
 * Every audit action, `entity.verb`. `recordAudit` accepts only these, so notifications, reports and metrics can
 * subscribe to a name and be sure it exists (a typo or a renamed action fails to compile, not silently never fires).
 * docs/ARCHITECTURE.md ("Audit trail", the "Actions:" list) names exactly these; `actions.test.ts` checks both ways.
 * Adding an action: add it here and to that list.
 */
export const AUDIT_ACTIONS = [
  'source.create',
  'source.prune',
  'source.update',
  'source.delete',
  'tier.create',
  'tier.update',
  'service.create',
  'service.update',
  'service.delete',
  'destination.create',
  'destination.update',
  'policy.create',
  'policy.update',
  'policy.delete',
  'policy.retention-set',
  'policy.copy-retention-set',
  'backup.request',
  'restore.request',
  'restore-request.create',
  'restore-request.update',
  'restore-request.approve',
  'restore-request.reject',
  'restore-request.cancel',
  'restore-request.expire',
  'restore-request.reopen',
  'restore-request.execute',
  'restore-request.break-glass',
  'restore-request.acknowledge',
  'verify.request',
  'run.cancel',
  'run.retry',
  'run.finish',
  'run.stop',
  'copy.finish',
  'copy.damaged',
  'slot.missed',
  'recovery-point.verify-failed',
  'recovery-point.download',
  'recovery-point.hold',
  'recovery-point.release',
  'recovery-point.lock',
  'recovery-point.object-lock',
  'recovery-point.delete',
  'recovery-point.primary-pruned',
  'recovery-point.copy-pruned',
  'recovery-point.transition',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.sign-in',
  'audit.export',
  'key.create',
  'key.rotate',
  'key.shred',
  'key.export',
  'audit.chain-start',
  'audit.anchor',
  'audit.verify-failed',
  'notification-channel.create',
  'notification-channel.update',
  'notification-channel.delete',
  'notification-channel.test',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** For parsing an action at an edge (a query filter, a subscription): stored rows hold plain strings. */
export const AuditAction = z.enum(AUDIT_ACTIONS);

const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

export function isAuditAction(value: string): value is AuditAction {
  return KNOWN.has(value);
}
