import type { Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { db, type Tx } from '@/server/shared/db';
import type { ObjectCheck } from './object-fault';

/**
 * Marks a point verified (restorable: one object intact and decoded) and records each checked object's result:
 * the primary's on the point (`verifyError`/`verifyFault`, so a damaged primary stays visible on a point that a copy
 * keeps restorable), each copy's on its row. Runs inside the transaction that finishes the VERIFY run as SUCCEEDED
 * (its `onCommit`), so a point is never "verified" by a run that did not succeed.
 */
export async function markPointVerified(tx: Tx, pointId: string, objects: readonly ObjectCheck[] = [], at: Date = new Date()): Promise<void> {
  const primary = objects.find((o) => o.role === 'primary');
  const damaged = primary && !primary.ok ? primary : null;
  await tx.recoveryPoint.update({
    where: { id: pointId },
    data: { verifiedAt: at, verifyError: damaged?.error ?? null, verifyFault: damaged?.fault ?? null },
  });
  await recordCopyChecks(tx, pointId, objects, at);
}

/**
 * Records that verifying a point failed (no object intact, or the intact one would not decode): `verifyError` is
 * set and `verifiedAt` cleared, each checked copy's result recorded, with an audit event, in one transaction. Called
 * by the verify worker before it lets the run end FAILED (a FAILED run's transaction has no `onCommit`), so a
 * damaged point shows as such even though the run row only carries the message.
 */
export async function recordVerifyFailure(
  actor: Actor,
  input: { pointId: string; runId: string; error: string; objects?: readonly ObjectCheck[] },
): Promise<void> {
  const objects = input.objects ?? [];
  const primary = objects.find((o) => o.role === 'primary');
  const damaged = objects.filter((o) => !o.ok).map((o) => ({ role: o.role, copyId: o.copyId, fault: o.fault }));
  await db().$transaction(async (tx) => {
    await tx.recoveryPoint.update({
      where: { id: input.pointId },
      data: { verifiedAt: null, verifyError: input.error, verifyFault: primary && !primary.ok ? primary.fault : null },
    });
    await recordCopyChecks(tx, input.pointId, objects, new Date());
    await recordAudit(tx, actor, {
      action: 'recovery-point.verify-failed',
      targetType: 'recovery-point',
      targetId: input.pointId,
      details: { runId: input.runId, error: input.error, ...(damaged.length > 0 ? { damagedObjects: damaged } : {}) },
    });
  });
}

async function recordCopyChecks(tx: Tx, pointId: string, objects: readonly ObjectCheck[], at: Date): Promise<void> {
  for (const o of objects) {
    if (o.role !== 'copy') continue;
    // updateMany: a copy pruned by retention while the run read it is simply gone, not an error.
    await tx.recoveryPointCopy.updateMany({
      where: { id: o.copyId, recoveryPointId: pointId },
      data: o.ok ? { verifiedAt: at, verifyError: null, verifyFault: null } : { verifiedAt: null, verifyError: o.error, verifyFault: o.fault },
    });
  }
}
