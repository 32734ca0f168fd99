import { UnrecoverableError } from 'bullmq';
import { parseJob } from '@/server/jobs/contracts';
import { recordAudit } from '@/server/audit/record-audit';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { COPY_MAX_ATTEMPTS } from '@/server/copies/enqueue-copy';
import { manifestKeyForDataKey } from '@/server/storage/layout';
import { driverForDestination } from '@/server/storage/for-destination';
import { isStorageError } from '@/server/storage/driver';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { errorMessage } from '../runner/execute-run';

// A claim holds the copy for 30 min: long enough to move a large artifact between regions; a worker that died
// mid-copy releases it when the lease runs out.
const COPY_LEASE_MS = 30 * 60_000;

const copyActor = (workerId: string): Actor => ({ ...SYSTEM_ACTOR, label: `worker ${workerId} (copy)` });

export type CopyOutcome = 'ok' | 'failed' | 'skipped';

/**
 * Handles `copy.run { copyId }`: claims the copy (COPY_PENDING|COPY_FAILED, attempts left, no live lease), streams
 * the primary stored object as it is (already compressed and encrypted) to the copy destination under the same key,
 * checks size and sha256 against the recovery point, copies the manifest, and marks COPY_OK. On failure the row is
 * COPY_FAILED with the error and the error is rethrown so BullMQ retries with backoff. Never touches the source.
 */
export async function handleCopyJob(data: unknown, workerId: string): Promise<CopyOutcome> {
  const { copyId } = parseJob('copy.run', data);
  const now = new Date();
  const claimed = await db().recoveryPointCopy.updateManyAndReturn({
    where: {
      id: copyId,
      status: { in: ['COPY_PENDING', 'COPY_FAILED'] },
      attempts: { lt: COPY_MAX_ATTEMPTS },
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
    },
    data: { attempts: { increment: 1 }, leaseUntil: new Date(now.getTime() + COPY_LEASE_MS) },
    select: { id: true, attempts: true },
  });
  const mine = claimed[0];
  if (!mine) {
    logger.info({ copyId }, 'copy not claimable (done, taken, gone or out of attempts); skipping');
    return 'skipped';
  }
  const copy = await db().recoveryPointCopy.findUniqueOrThrow({
    where: { id: copyId },
    include: {
      destination: true,
      recoveryPoint: {
        include: {
          destination: true,
          copies: { where: { status: 'COPY_OK', id: { not: copyId } }, include: { destination: true }, orderBy: { position: 'asc' } },
        },
      },
    },
  });
  const point = copy.recoveryPoint;
  const started = Date.now();
  try {
    const source = copySource(point);
    const from = driverForDestination(source.destination);
    const to = driverForDestination(copy.destination);
    // Same key on both sides: a copy is a byte-for-byte twin, restorable by the same manifest.
    const stored = await to.put(copy.location, await from.get(source.location), { overwrite: true });
    if (stored.size !== Number(point.sizeBytes) || stored.sha256 !== point.sha256) {
      await to.delete(copy.location).catch(() => undefined);
      throw new Error(
        `copy holds ${stored.size} bytes (sha256 ${stored.sha256}) but the recovery point has ${point.sizeBytes} (${point.sha256})`,
      );
    }
    const manifestKey = manifestKeyForDataKey(source.location);
    if (manifestKey !== null) {
      try {
        await to.put(manifestKey, await from.get(manifestKey), { overwrite: true });
      } catch (e) {
        // The catalog holds the manifest too; a missing file copy only costs the tool-only restore path.
        if (!isStorageError(e, 'NOT_FOUND')) throw e;
      }
    }
    await finishCopy(copyId, mine.attempts, workerId, { status: 'COPY_OK', sizeBytes: stored.size, sha256: stored.sha256, durationMs: Date.now() - started });
    logger.info({ copyId, destination: copy.destination.name, bytes: stored.size }, 'copy finished');
    return 'ok';
  } catch (err) {
    const message = errorMessage(err);
    await finishCopy(copyId, mine.attempts, workerId, { status: 'COPY_FAILED', error: message, durationMs: Date.now() - started }).catch((e: unknown) =>
      logger.error({ err: e, copyId }, 'could not record the copy failure'),
    );
    throw err;
  }
}

/**
 * Where a copy reads from: the primary object, or once retention pruned it (`primaryDeletedAt`) the first other OK
 * copy in policy order (same bytes, checked when it was made). With neither, the copy can never be made: the error
 * says so, and the row ends COPY_FAILED with it.
 */
function copySource<D>(point: {
  id: string;
  primaryDeletedAt: Date | null;
  location: string;
  destination: D;
  copies: ReadonlyArray<{ location: string; destination: D }>;
}): { destination: D; location: string } {
  if (point.primaryDeletedAt === null) return { destination: point.destination, location: point.location };
  const other = point.copies[0];
  if (!other) {
    throw new UnrecoverableError(
      `recovery point ${point.id} has no object left to copy from: its primary was pruned by retention on ${point.primaryDeletedAt.toISOString()} and it has no other OK copy`,
    );
  }
  return { destination: other.destination, location: other.location };
}

async function finishCopy(
  copyId: string,
  attempt: number,
  workerId: string,
  outcome: { status: 'COPY_OK' | 'COPY_FAILED'; sizeBytes?: number; sha256?: string; error?: string; durationMs: number },
): Promise<void> {
  await db().$transaction(async (tx) => {
    // Only the claim that is still current may finish (attempts is the claim's token).
    const rows = await tx.recoveryPointCopy.updateManyAndReturn({
      where: { id: copyId, attempts: attempt },
      data: {
        status: outcome.status,
        leaseUntil: null,
        error: outcome.error ?? null,
        ...(outcome.sizeBytes !== undefined ? { sizeBytes: BigInt(outcome.sizeBytes), sha256: outcome.sha256 } : {}),
      },
      select: { id: true, recoveryPointId: true, destinationId: true, location: true },
    });
    const row = rows[0];
    if (!row) return;
    await recordAudit(tx, copyActor(workerId), {
      action: 'copy.finish',
      targetType: 'recovery-point-copy',
      targetId: copyId,
      details: {
        recoveryPointId: row.recoveryPointId,
        destinationId: row.destinationId,
        location: row.location,
        status: outcome.status,
        attempt,
        durationMs: outcome.durationMs,
        ...(outcome.sha256 ? { sha256: outcome.sha256, sizeBytes: outcome.sizeBytes } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      },
    });
  });
}
