import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { UnrecoverableError } from 'bullmq';
import { parseJob } from '@/server/jobs/contracts';
import { recordAudit } from '@/server/audit/record-audit';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { COPY_MAX_ATTEMPTS } from '@/server/copies/enqueue-copy';
import { faultWords } from '@/server/recovery-points/object-fault';
import { nothingReadableMessage, readableObjects } from '@/server/recovery-points/readable-objects';
import { manifestKeyForDataKey } from '@/server/storage/layout';
import { driverForDestination } from '@/server/storage/for-destination';
import { isStorageError, type StorageDriver } from '@/server/storage/driver';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { errorMessage } from '../runner/execute-run';
import { maybeThrottle } from '../runner/fault-injection';

// A claim holds the copy for 30 min: long enough to move a large artifact between regions; a worker that died
// mid-copy releases it when the lease runs out.
const COPY_LEASE_MS = 30 * 60_000;

const copyActor = (workerId: string): Actor => ({ ...SYSTEM_ACTOR, label: `worker ${workerId} (copy)` });

/** `discarded`: the copy was made but its row was gone by then (point deleted meanwhile), so its objects were removed. */
export type CopyOutcome = 'ok' | 'failed' | 'skipped' | 'discarded';

/**
 * Handles `copy.run { copyId }`: claims the copy (COPY_PENDING|COPY_FAILED, attempts left, no live lease), streams
 * a readable object of the point (`readableObjects`: the primary, else OK copies in order) as it is (already
 * compressed and encrypted) to the copy destination under the same key, checks size and sha256 against the recovery
 * point, copies the manifest, and marks COPY_OK (clearing the verify columns: they described the bytes it replaced).
 * A copy that verify found damaged (`verifyFault` set, COPY_FAILED by `markCopiesDamaged`) is re-made the same way,
 * its audit saying so (`remade`). On failure the row is COPY_FAILED with the error and the error is
 * rethrown so BullMQ retries with backoff. Never touches the source. When the row vanished while the copy ran (the
 * point was deleted after the lease expired), the objects it wrote are deleted again: nothing is left behind.
 */
export async function handleCopyJob(data: unknown, workerId: string): Promise<CopyOutcome> {
  const { copyId } = parseJob('copy.run', data);
  const mine = await claimCopy(copyId);
  if (!mine) {
    logger.info({ copyId }, 'copy not claimable (done, taken, gone or out of attempts); skipping');
    return 'skipped';
  }
  const copy = await db().recoveryPointCopy.findUniqueOrThrow({
    where: { id: copyId },
    include: {
      destination: true,
      recoveryPoint: {
        include: { destination: true, copies: { where: { status: 'COPY_OK', id: { not: copyId } }, include: { destination: true } } },
      },
    },
  });
  const point = copy.recoveryPoint;
  const started = Date.now();
  const to = driverForDestination(copy.destination);
  // Only what this attempt wrote is removed again if its row turns out to be gone.
  const written: string[] = [];
  try {
    const candidates = readableObjects(point);
    if (candidates.length === 0) throw new UnrecoverableError(nothingReadableMessage(point, 'copy from'));
    const unusable: string[] = [];
    let stored: { size: number; sha256: string } | undefined;
    let used: (typeof candidates)[number] | undefined;
    for (const candidate of candidates) {
      const from = driverForDestination(candidate.destination);
      try {
        // Same key on both sides: a copy is a byte-for-byte twin, restorable by the same manifest.
        written.push(copy.location);
        stored = await to.put(copy.location, expectBytes(maybeThrottle(await from.get(candidate.location)), Number(point.sizeBytes), point.sha256), {
          overwrite: true,
        });
        used = candidate;
        break;
      } catch (err) {
        // Missing, or not the point's bytes: the put failed before the object became final (nothing stored),
        // so the next candidate is safe. Anything else (the destination failing) is retried as a whole.
        if (!(isStorageError(err, 'NOT_FOUND') || err instanceof SourceMismatch)) throw err;
        unusable.push(`${candidate.label}: ${errorMessage(err)}`);
        logger.warn({ copyId, candidate: candidate.label, err }, 'copy source unusable; trying the next object of the point');
      }
    }
    if (!stored || !used) throw new Error(`no readable object to copy from (${unusable.join('; ')})`);
    if (stored.size !== Number(point.sizeBytes) || stored.sha256 !== point.sha256) {
      await to.delete(copy.location).catch(() => undefined);
      throw new Error(`copy holds ${stored.size} bytes (sha256 ${stored.sha256}) but the recovery point has ${point.sizeBytes} (${point.sha256})`);
    }
    await copyManifest(driverForDestination(used.destination), to, used.location, written);
    const finished = await finishCopy(copyId, mine.attempts, workerId, {
      status: 'COPY_OK',
      sizeBytes: stored.size,
      sha256: stored.sha256,
      durationMs: Date.now() - started,
      ...(used.role === 'copy' || unusable.length > 0 ? { readFrom: used.label, unusable } : {}),
      ...(mine.verifyFault !== null ? { remade: `damaged at verification: ${faultWords(mine.verifyFault)}` } : {}),
    });
    if (finished === 'gone') {
      await discardWritten(to, written, { copyId, pointId: point.id, destination: copy.destination.name });
      return 'discarded';
    }
    if (finished === 'superseded') return 'skipped';
    logger.info({ copyId, destination: copy.destination.name, bytes: stored.size, from: used.label }, 'copy finished');
    return 'ok';
  } catch (err) {
    const message = errorMessage(err);
    const finished = await finishCopy(copyId, mine.attempts, workerId, { status: 'COPY_FAILED', error: message, durationMs: Date.now() - started }).catch(
      (e: unknown) => {
        logger.error({ err: e, copyId }, 'could not record the copy failure');
        return 'unknown' as const;
      },
    );
    // A data object stored before a later step failed (the manifest) would be an orphan once the row is gone.
    if (finished === 'gone') await discardWritten(to, written, { copyId, pointId: point.id, destination: copy.destination.name });
    throw err;
  }
}

/**
 * Claims the copy with a conditional update, holding FOR KEY SHARE on its point's row meanwhile: a delete or prune
 * that locked the row (FOR UPDATE) first makes the claim wait and then find nothing to claim; a claim that got the
 * lock first commits its lease before they re-check under the row lock, so they see it and refuse.
 */
async function claimCopy(copyId: string): Promise<{ id: string; attempts: number; verifyFault: string | null } | undefined> {
  return db().$transaction(async (tx) => {
    const points = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT p.id FROM "RecoveryPoint" p JOIN "RecoveryPointCopy" c ON c."recoveryPointId" = p.id
      WHERE c.id = ${copyId}::uuid FOR KEY SHARE OF p`;
    if (points.length === 0) return undefined;
    const now = new Date();
    const claimed = await tx.recoveryPointCopy.updateManyAndReturn({
      where: {
        id: copyId,
        status: { in: ['COPY_PENDING', 'COPY_FAILED'] },
        attempts: { lt: COPY_MAX_ATTEMPTS },
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }],
      },
      data: { attempts: { increment: 1 }, leaseUntil: new Date(now.getTime() + COPY_LEASE_MS) },
      select: { id: true, attempts: true, verifyFault: true },
    });
    return claimed[0];
  });
}

/** Raised inside the upload stream when the source's bytes are not the point's: the put aborts, nothing is stored. */
class SourceMismatch extends Error {
  override name = 'SourceMismatch';
}

/**
 * Passes the stream through and, before it ends, checks its size and sha256 against the point's. Erroring in flush
 * fails the put before the object is final (S3: the multipart upload is aborted; local disk: the temporary file is
 * never linked), so a damaged source never replaces anything on the destination.
 */
function expectBytes(stream: Readable, size: number, sha256: string): Readable {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > size) {
        callback(new SourceMismatch(`the object is longer than the recovery point's ${size} bytes`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest('hex');
      if (bytes !== size) callback(new SourceMismatch(`the object is ${bytes} bytes, expected ${size}`));
      else if (actual !== sha256) callback(new SourceMismatch(`the object has sha256 ${actual}, expected ${sha256}`));
      else callback();
    },
  });
  stream.on('error', (err) => check.destroy(err));
  check.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  return stream.pipe(check);
}

async function copyManifest(from: StorageDriver, to: StorageDriver, dataKey: string, written: string[]): Promise<void> {
  const manifestKey = manifestKeyForDataKey(dataKey);
  if (manifestKey === null) return;
  try {
    written.push(manifestKey);
    await to.put(manifestKey, await from.get(manifestKey), { overwrite: true });
  } catch (e) {
    // The catalog holds the manifest too; a missing file copy only costs the tool-only restore path.
    if (!isStorageError(e, 'NOT_FOUND')) throw e;
  }
}

/**
 * The copy's row is gone (its point was deleted while the upload ran, e.g. after the lease expired): what this
 * attempt wrote belongs to nothing now. The delete removed the copy's keys after its commit, which may have been
 * before this upload finished, so remove them again; deletes are idempotent.
 */
async function discardWritten(to: StorageDriver, keys: readonly string[], ctx: { copyId: string; pointId: string; destination: string }): Promise<void> {
  const unique = [...new Set(keys)];
  try {
    for (const key of unique) await to.delete(key);
    logger.warn({ ...ctx, keys: unique }, 'copy finished after its recovery point was deleted; removed the objects it wrote');
  } catch (err) {
    logger.error({ ...ctx, keys: unique, err }, 'copy finished after its recovery point was deleted and its objects could not be removed; they are orphans now');
  }
}

/**
 * Records the outcome if this claim is still current (attempts is the claim's token): `finished`; `superseded` when
 * another claim took the row over (the lease expired: that claim writes the same key, so nothing is removed); `gone`
 * when the row no longer exists.
 */
async function finishCopy(
  copyId: string,
  attempt: number,
  workerId: string,
  outcome: {
    status: 'COPY_OK' | 'COPY_FAILED';
    sizeBytes?: number;
    sha256?: string;
    error?: string;
    durationMs: number;
    readFrom?: string;
    unusable?: string[];
    /** Set when this making replaces an object that verify found damaged. */
    remade?: string;
  },
): Promise<'finished' | 'superseded' | 'gone'> {
  return db().$transaction(async (tx) => {
    const rows = await tx.recoveryPointCopy.updateManyAndReturn({
      where: { id: copyId, attempts: attempt },
      data: {
        status: outcome.status,
        leaseUntil: null,
        error: outcome.error ?? null,
        ...(outcome.sizeBytes !== undefined ? { sizeBytes: BigInt(outcome.sizeBytes), sha256: outcome.sha256 } : {}),
        // New bytes: the last verification's result was about the object they replaced. verifiedAt stays null
        // rather than "now": the upload checked the bytes sent, but only a verification reads back what was stored.
        ...(outcome.status === 'COPY_OK' ? { verifiedAt: null, verifyError: null, verifyFault: null } : {}),
      },
      select: { id: true, recoveryPointId: true, destinationId: true, location: true },
    });
    const row = rows[0];
    if (!row) {
      const exists = await tx.recoveryPointCopy.count({ where: { id: copyId } });
      if (exists > 0) logger.info({ copyId, attempt }, 'copy finished but another claim took it over; leaving the row to that claim');
      return exists > 0 ? 'superseded' : 'gone';
    }
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
        ...(outcome.readFrom ? { readFrom: outcome.readFrom, unusable: outcome.unusable } : {}),
        ...(outcome.remade ? { remade: outcome.remade } : {}),
      },
    });
    return 'finished';
  });
}
