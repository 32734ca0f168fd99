import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { expireInTx, OPEN_STATUSES } from './lifecycle';

// One sweep's share: a backlog larger than this is finished by the next sweeps.
const BATCH = 200;

/**
 * The expiry sweep (a recurring task in every worker, workers/jobs.ts): every open request past its `expiresAt`
 * becomes EXPIRED with its `restore-request.expire` event, each in its own transaction. The conditional update makes
 * every worker sweeping at once (and a verb that found the request expired first) record it once. Returns how many
 * this call expired.
 */
export async function expireRestoreRequests(now = new Date()): Promise<number> {
  const due = await db().restoreRequest.findMany({
    where: { status: { in: [...OPEN_STATUSES] }, expiresAt: { lte: now } },
    select: { id: true, status: true, expiresAt: true },
    orderBy: { expiresAt: 'asc' },
    take: BATCH,
  });
  let expired = 0;
  for (const row of due) {
    if (await db().$transaction((tx) => expireInTx(tx, SYSTEM_ACTOR, row, now))) expired += 1;
  }
  return expired;
}
