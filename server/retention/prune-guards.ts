import type { Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { driverForDestination } from '@/server/storage/for-destination';
import { OBJECTS_IN_ORDER, type PointWithObjects } from '@/server/recovery-points/point-objects';
import { storedKeysAt, type ObjectHolder } from '@/server/recovery-points/readable-objects';

/** What a driver needs from a destination row (secrets are opened only when the driver is built). */
export const DRIVER_FIELDS = { id: true, name: true, kind: true, config: true, secrets: true } as const;

/** What `pointObjects` needs from a point row: its first object's columns and its object rows, in order. */
export const STORED_OBJECT_FIELDS = {
  location: true,
  sizeBytes: true,
  sha256: true,
  codec: true,
  rawBytes: true,
  rawSha256: true,
  objects: OBJECTS_IN_ORDER,
} as const;

/**
 * Options of the transactions that delete part of a point. The storage deletes run inside them, after the row lock
 * and before anything is recorded, so a hold or lock placed meanwhile waits for them and nothing is recorded as
 * deleted that is not. Two minutes: a delete takes milliseconds, but the SDK retries a slow or throttling endpoint
 * with backoff, and a timeout here only rolls back (the next prune tries again).
 */
export const PRUNE_TRANSACTION = { timeout: 120_000 } as const;

export interface LockedPoint {
  id: string;
  sourceId: string;
  legalHold: boolean;
  lockedUntil: Date | null;
  primaryDeletedAt: Date | null;
}

/**
 * Locks a recovery point's row (`SELECT … FOR UPDATE`) and re-checks what protects every object of it: legal
 * hold, a running retention lock (real clock), and whatever is reading it right now (`assertNotBeingRead`). A hold
 * or lock placed concurrently either committed first (and is seen here) or waits for this transaction.
 */
export async function lockPointForPruning(tx: Tx, pointId: string): Promise<LockedPoint> {
  const rows = await tx.$queryRaw<LockedPoint[]>`
    SELECT id, "sourceId", "legalHold", "lockedUntil", "primaryDeletedAt" FROM "RecoveryPoint" WHERE id = ${pointId}::uuid FOR UPDATE`;
  const point = rows[0];
  if (!point) throw notFound('recovery point', pointId);
  assertNotHeldOrLocked(point);
  await assertNotBeingRead(tx, point.id);
  return point;
}

/** Legal hold and a running retention lock protect every object of a point, whoever deletes. */
export function assertNotHeldOrLocked(point: { id: string; legalHold: boolean; lockedUntil: Date | null }): void {
  if (point.legalHold) {
    throw new DomainError('INVALID_STATE', `recovery point ${point.id} is under legal hold; release the hold first`);
  }
  // Always the real clock: no caller-supplied "now" may expire a lock early.
  if (point.lockedUntil && point.lockedUntil.getTime() > Date.now()) {
    throw new DomainError('INVALID_STATE', `recovery point ${point.id} is locked until ${point.lockedUntil.toISOString()}`);
  }
}

/**
 * The one check of "something is reading this point's objects now", shared by the whole delete
 * (`deleteRecoveryPoint`) and the partial prunes: a queued or running restore/verify, or a copy job in flight (a
 * live lease on a copy that is not OK yet: the job may be reading the very object about to go, and would leave
 * what it wrote behind). Called with the point's row locked, so a copy claim (which takes FOR KEY SHARE on the row)
 * either committed before and is seen here, or waits and then finds the point gone.
 */
export async function assertNotBeingRead(tx: Tx, pointId: string): Promise<void> {
  const reader = await tx.run.findFirst({
    where: { inputPointId: pointId, status: { in: ['QUEUED', 'RUNNING'] } },
    select: { id: true, kind: true },
  });
  if (reader) {
    throw new DomainError('INVALID_STATE', `recovery point ${pointId} is being read by ${reader.kind.toLowerCase()} run ${reader.id}; try again when it has finished`);
  }
  const copying = await tx.recoveryPointCopy.findFirst({
    where: { recoveryPointId: pointId, status: { not: 'COPY_OK' }, leaseUntil: { gt: new Date() } },
    select: { destination: { select: { name: true } } },
  });
  if (copying) {
    throw new DomainError('INVALID_STATE', `recovery point ${pointId}: a copy to destination "${copying.destination.name}" is in progress; try again after it finishes`);
  }
}

/** The destinations whose copies have their own retention under the source's current policy. */
export async function scopedDestinationIds(tx: Tx, sourceId: string): Promise<Set<string>> {
  const source = await tx.source.findUnique({
    where: { id: sourceId },
    select: { policy: { select: { copies: { select: { destinationId: true, retention: true } } } } },
  });
  return new Set((source?.policy?.copies ?? []).filter((c) => c.retention !== null).map((c) => c.destinationId));
}

/**
 * Deletes every object of `point` stored on `holder` (the primary, or a copy) and the manifest beside them, on
 * `destination`. Deletes are idempotent: an absent key is fine.
 */
export async function deleteStoredObjects(
  destination: { id: string; kind: string; config: unknown; secrets: string | null },
  point: PointWithObjects,
  holder: ObjectHolder,
): Promise<void> {
  const driver = driverForDestination(destination);
  for (const key of storedKeysAt(point, holder)) await driver.delete(key);
}
