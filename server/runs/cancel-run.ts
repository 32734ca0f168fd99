import { authorize } from '@/server/auth/permissions';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { publishCancel } from './cancel-channel';
import { getRun, RunId } from './get-run';
import { cancelRunTransition } from './transitions';

/**
 * Cancels a queued run at once; for a running one the request commits, then goes to the workers on the cancel
 * channel (after the commit; in a caller's transaction, at its commit: a worker told earlier would stop a run whose
 * request might still roll back), and the run's worker kills its pipeline and ends it CANCELLED (its heartbeat
 * catches a lost message).
 */
export async function cancelRun(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'run:cancel');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  const status = await withTransaction(ctx, (tx) => cancelRunTransition(tx, id.data, actor));
  // Queued unconditionally, so a bare caller's transaction is refused whatever the run's status (see afterCommit).
  await afterCommit(ctx, async () => {
    if (status === 'RUNNING') await publishCancel(id.data);
  });
  return getRun(ctx, id.data);
}
