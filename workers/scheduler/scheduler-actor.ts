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

/**
 * `lockKey` for many keys in one statement, in one global order (by the lock's hash), so two batches of fires that
 * share sources can never deadlock. Callers lock every source key before any destination key, as `lockKey` callers
 * do (source, then destination), which keeps that order across all of them.
 */
export async function lockKeys(tx: Tx, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  if (keys.length === 1) return lockKey(tx, keys[0]!);
  const names = [...new Set(keys)].map((k) => 'lifeboat:scheduler:' + k);
  // OFFSET 0 keeps the sort below the lock calls: the locks are taken in hash order, one row at a time.
  await tx.$queryRaw`SELECT count(*)::int AS n FROM (SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(${names}::text[]) AS k ORDER BY 1 OFFSET 0) AS o) AS l`;
}
