import type { Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { faultWords, type ObjectCheck } from '@/server/recovery-points/object-fault';
import type { Tx } from '@/server/shared/db';

/** A copy taken out of the readable set by a verification, to be re-made by a `copy.run` job after the commit. */
export interface DamagedCopy {
  copyId: string;
  destinationId: string;
  /** The row's new `jobGeneration` (this re-arming's), to enqueue the re-make under (`enqueueCopy`). */
  jobGeneration: number;
  /** The error the row now carries ("damaged at verification: sha256 mismatch (…)"). */
  error: string;
}

/**
 * Self-healing after a verification: each COPY_OK copy whose size/sha256 check failed (missing, damaged, unreadable)
 * becomes COPY_FAILED with "damaged at verification: <fault>", its attempts reset and its job generation bumped, so `readableObjects` no longer
 * offers it to restores and a copy job (the caller enqueues one after the commit, `enqueueCopy`) may claim it again
 * and re-make it from an intact object. Audited (`copy.damaged`) in the caller's transaction: the verify run's
 * finishing one. Only when another object of the point is intact: with nothing intact there is nothing to re-make
 * from, and the copy keeps its place (restores check every object's sha256 anyway).
 *
 * Conditional (`status: COPY_OK`): a copy pruned, or already re-made or failed, meanwhile is left alone. Its
 * `verifyError`/`verifyFault` stay (the object is still damaged) until the re-made copy clears them.
 */
export async function markCopiesDamaged(
  tx: Tx,
  actor: Actor,
  input: { pointId: string; runId: string; objects: readonly ObjectCheck[] },
): Promise<DamagedCopy[]> {
  if (!input.objects.some((o) => o.ok)) return [];
  const marked: DamagedCopy[] = [];
  for (const o of input.objects) {
    if (o.role !== 'copy' || o.ok) continue;
    const error = `damaged at verification: ${faultWords(o.fault)} (${o.error})`;
    const rows = await tx.recoveryPointCopy.updateManyAndReturn({
      where: { id: o.copyId, recoveryPointId: input.pointId, status: 'COPY_OK' },
      // attempts 0: a re-make gets the full claim budget; a COPY_OK row holds no claim that could still finish it.
      // A new generation with it: the reset attempts would otherwise repeat the earlier making's job ids.
      data: { status: 'COPY_FAILED', error, attempts: 0, leaseUntil: null, jobGeneration: { increment: 1 } },
      select: { id: true, destinationId: true, location: true, jobGeneration: true },
    });
    const row = rows[0];
    if (!row) continue;
    await recordAudit(tx, actor, {
      action: 'copy.damaged',
      targetType: 'recovery-point-copy',
      targetId: row.id,
      details: { recoveryPointId: input.pointId, destinationId: row.destinationId, location: row.location, runId: input.runId, fault: o.fault, error },
    });
    marked.push({ copyId: row.id, destinationId: row.destinationId, jobGeneration: row.jobGeneration, error });
  }
  return marked;
}
