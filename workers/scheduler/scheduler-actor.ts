import type { Actor } from '@/server/auth/permissions';
import type { Tx } from '@/server/shared/db';

/** Who the audit trail names for everything the scheduler does (runs it starts, slots it records). */
export const SCHEDULER_ACTOR: Actor = { type: 'system', id: null, label: 'scheduler', role: 'ADMIN' };

/**
 * Serialises, until the transaction ends, everything the scheduler decides for one key (a source, a destination):
 * "is a run already going? then skip, else start one" is a count-then-start that would race between workers.
 */
export async function lockKey(tx: Tx, key: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(${'lifeboat:scheduler:' + key}))) AS l`;
}
