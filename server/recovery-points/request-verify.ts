import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { enqueueCommitted } from '@/server/jobs/producer';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { toRunDto } from '@/server/runs/run-dto';

const RecoveryPointId = z.string().uuid();

/**
 * Asks for a recovery point to be verified: its stored object re-read and checksummed, decoded, and checked by the
 * engine (e.g. `pg_restore --list`). Nothing is restored anywhere, so operators may ask (`backup:run`).
 */
export async function requestVerify(actor: Actor | null, rawPointId: unknown) {
  authorize(actor, 'backup:run');
  const pointId = RecoveryPointId.safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));

  const run = await db().$transaction(async (tx) => {
    const point = await tx.recoveryPoint.findUnique({
      where: { id: pointId.data },
      select: { id: true, sourceId: true, destinationId: true },
    });
    if (!point) throw notFound('recovery point', pointId.data);
    const created = await tx.run.create({
      data: {
        kind: 'VERIFY',
        sourceId: point.sourceId,
        destinationId: point.destinationId,
        inputPointId: point.id,
        requestedBy: actor.label,
        // Verifying only reads: a run lost with its worker is safe to try again.
        maxAttempts: 3,
      },
      include: { source: { select: { name: true } } },
    });
    await recordAudit(tx, actor, {
      action: 'verify.request',
      targetType: 'run',
      targetId: created.id,
      details: { recoveryPointId: point.id, sourceId: point.sourceId, destinationId: point.destinationId },
    });
    return created;
  });
  await enqueueCommitted('verify.run', { runId: run.id });
  return toRunDto(run);
}
