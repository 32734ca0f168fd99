import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { RunId } from './get-run';
import { cancelRunTransition } from './transitions';
import { getRun } from './get-run';

/** Cancels a queued run at once; a running one is stopped by its worker at the next heartbeat. */
export async function cancelRun(actor: Actor | null, rawId: unknown) {
  authorize(actor, 'run:cancel');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  await db().$transaction((tx) => cancelRunTransition(tx, id.data, actor));
  return getRun(actor, id.data);
}
