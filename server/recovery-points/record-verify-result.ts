import type { Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { db, type Tx } from '@/server/shared/db';

/**
 * Marks a point verified. Runs inside the transaction that finishes the VERIFY run as SUCCEEDED (its `onCommit`),
 * so a point is never "verified" by a run that did not succeed.
 */
export async function markPointVerified(tx: Tx, pointId: string, at: Date = new Date()): Promise<void> {
  await tx.recoveryPoint.update({ where: { id: pointId }, data: { verifiedAt: at, verifyError: null } });
}

/**
 * Records that verifying a point failed: `verifyError` is set and `verifiedAt` cleared, with an audit event, in
 * one transaction. Called by the verify worker before it lets the run end FAILED (a FAILED run's transaction has
 * no `onCommit`), so a damaged point shows as such even though the run row only carries the message.
 */
export async function recordVerifyFailure(actor: Actor, input: { pointId: string; runId: string; error: string }): Promise<void> {
  await db().$transaction(async (tx) => {
    await tx.recoveryPoint.update({ where: { id: input.pointId }, data: { verifiedAt: null, verifyError: input.error } });
    await recordAudit(tx, actor, {
      action: 'recovery-point.verify-failed',
      targetType: 'recovery-point',
      targetId: input.pointId,
      details: { runId: input.runId, error: input.error },
    });
  });
}
