import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { createRun, enqueueRun } from '@/server/runs/create-run';
import { toRunDto } from '@/server/runs/run-dto';

const RecoveryPointId = z.string().uuid();

/**
 * Asks for a recovery point to be verified: its stored object re-read and checksummed, decoded, and checked by the
 * engine (e.g. `pg_restore --list`). Nothing is restored anywhere, so operators may ask (`backup:run`). The job is
 * enqueued once the run has committed (in a caller's transaction, at its commit).
 */
export async function requestVerify(ctx: VerbContext, rawPointId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'backup:run');
  const pointId = RecoveryPointId.safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));

  const run = await withTransaction(ctx, async (tx) => {
    const point = await tx.recoveryPoint.findUnique({
      where: { id: pointId.data },
      select: { id: true, sourceId: true, destinationId: true },
    });
    if (!point) throw notFound('recovery point', pointId.data);
    return createRun(tx, 'VERIFY', {
      actor,
      sourceId: point.sourceId,
      destinationId: point.destinationId,
      inputPointId: point.id,
      details: { recoveryPointId: point.id, sourceId: point.sourceId, destinationId: point.destinationId },
    });
  });
  await afterCommit(ctx, () => enqueueRun(run));
  return toRunDto(run);
}
