import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { publishCancel } from './cancel-channel';
import { RunId } from './get-run';
import { cancelRunTransition } from './transitions';
import { getRun } from './get-run';

/**
 * Cancels a queued run at once; for a running one the request commits, then goes to the workers on the cancel
 * channel, and the run's worker kills its pipeline and ends it CANCELLED (its heartbeat catches a lost message).
 */
export async function cancelRun(actor: Actor | null, rawId: unknown) {
  authorize(actor, 'run:cancel');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  const status = await db().$transaction((tx) => cancelRunTransition(tx, id.data, actor));
  if (status === 'RUNNING') await publishCancel(id.data);
  return getRun(actor, id.data);
}
