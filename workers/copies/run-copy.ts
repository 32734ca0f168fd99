import crypto from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { UnrecoverableError } from 'bullmq';
import { parseJob } from '@/server/jobs/contracts';
import { recordAudit } from '@/server/audit/record-audit';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { COPY_MAX_ATTEMPTS } from '@/server/copies/enqueue-copy';
import { faultWords } from '@/server/recovery-points/object-fault';
import { OBJECTS_IN_ORDER } from '@/server/recovery-points/point-objects';
import { nothingReadableMessage, objectName, objectsAt, readableObjects, type ReadableObject } from '@/server/recovery-points/readable-objects';
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
 * EVERY object of the point (`pointObjects`, in order), each from the first place that holds it intact
 * (`readableObjects`: the primary, else OK copies in order), as it is (already compressed and encrypted) to the copy
 * destination under the same key, checking each one's size and sha256 against the point's record on the way, then
 * copies the manifest, and marks COPY_OK only once every object matched (clearing the verify columns: they described
 * the bytes it replaced). The row's `sizeBytes`/`sha256` are the first object's, as when a point held one.
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
        include: {
          destination: true,
          objects: OBJECTS_IN_ORDER,
          copies: { where: { status: 'COPY_OK', id: { not: copyId } }, include: { destination: true } },
        },
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
    const targets = objectsAt(point, { role: 'copy', location: copy.location });
    const several = targets.length > 1;
    const unusable: string[] = [];
    // Where each object was read from (the first intact place that holds it), and what was stored for each.
    const used: Array<(typeof candidates)[number]> = [];
    const results: Array<{ size: number; sha256: string }> = [];
    for (const [i, target] of targets.entries()) {
      const expected = { size: Number(target.sizeBytes), sha256: target.sha256 };
      const tried: string[] = [];
      let stored: { size: number; sha256: string } | undefined;
      for (const candidate of candidates) {
        const from = driverForDestination(candidate.destination);
        const source = objectsAt(point, candidate)[i]!;
        try {
          // Same key on both sides: a copy is a byte-for-byte twin, restorable by the same manifest.
          written.push(target.location);
          stored = await to.put(target.location, expectBytes(maybeThrottle(await from.get(source.location)), expected.size, expected.sha256), {
            overwrite: true,
          });
          used.push(candidate);
          break;
        } catch (err) {
          // Missing, or not the point's bytes: the put failed before the object became final (nothing stored),
          // so the next candidate is safe. Anything else (the destination failing) is retried as a whole.
          if (!(isStorageError(err, 'NOT_FOUND') || err instanceof SourceMismatch)) throw err;
          const problem = `${candidate.label}${several ? `, ${objectName(target)}` : ''}: ${errorMessage(err)}`;
          unusable.push(problem);
          tried.push(problem);
          logger.warn({ copyId, candidate: candidate.label, object: target.role, err }, 'copy source unusable; trying the next place that holds the object');
        }
      }
      // One object no place holds intact fails the whole copy: a copy missing an object restores nothing.
      if (!stored) {
        throw new Error(several ? `no readable source for ${objectName(target)} (${tried.join('; ')})` : `no readable object to copy from (${tried.join('; ')})`);
      }
      if (stored.size !== expected.size || stored.sha256 !== expected.sha256) {
        await to.delete(target.location).catch(() => undefined);
        throw new Error(
          `copy${several ? ` of ${objectName(target)}` : ''} holds ${stored.size} bytes (sha256 ${stored.sha256}) but the recovery point has ${expected.size} (${expected.sha256})`,
        );
      }
      results.push(stored);
    }
    await copyManifest(candidates, to, targets[0]!.location, written, copyId);
    const readFrom = [...new Set(used.map((u) => u.label))].join('; ');
    const fromCopy = used.some((u) => u.role === 'copy');
    // The row describes the first object, as it did when a point held one (pointObjects always yields one at least).
    const stored = results[0]!;
    const finished = await finishCopy(copyId, mine.attempts, workerId, {
      status: 'COPY_OK',
      sizeBytes: stored.size,
      sha256: stored.sha256,
      durationMs: Date.now() - started,
      ...(several ? { objects: targets.map((t) => t.role) } : {}),
      ...(fromCopy || unusable.length > 0 ? { readFrom, unusable } : {}),
      ...(mine.verifyFault !== null ? { remade: `damaged at verification: ${faultWords(mine.verifyFault)}` } : {}),
    });
    if (finished === 'gone') {
      await discardWritten(to, written, { copyId, pointId: point.id, destination: copy.destination.name });
      return 'discarded';
    }
    if (finished === 'superseded') return 'skipped';
    logger.info({ copyId, destination: copy.destination.name, objects: targets.length, bytes: stored.size, from: readFrom }, 'copy finished');
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

/**
 * Copies the manifest beside the objects from the first place that has it (the catalog holds it too, so a missing
 * file copy only costs the tool-only restore path and is not an error).
 */
async function copyManifest(
  candidates: ReadonlyArray<ReadableObject<{ kind: string; config: unknown; secrets?: string | null }>>,
  to: StorageDriver,
  dataKey: string,
  written: string[],
  copyId: string,
): Promise<void> {
  const manifestKey = manifestKeyForDataKey(dataKey);
  if (manifestKey === null) return;
  for (const candidate of candidates) {
    const from = driverForDestination(candidate.destination);
    // The manifest sits beside the candidate's first object: the same file name in its run folder.
    const fromKey = manifestKeyForDataKey(candidate.location) ?? manifestKey;
    try {
      written.push(manifestKey);
      await to.put(manifestKey, await from.get(fromKey), { overwrite: true });
      return;
    } catch (e) {
      if (!isStorageError(e, 'NOT_FOUND')) throw e;
      logger.warn({ copyId, candidate: candidate.label }, 'manifest missing beside the objects; trying the next place that holds the point');
    }
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
    /** The roles of the objects copied, for a point holding several. */
    objects?: string[];
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
        ...(outcome.objects ? { objects: outcome.objects } : {}),
        ...(outcome.readFrom ? { readFrom: outcome.readFrom, unusable: outcome.unusable } : {}),
        ...(outcome.remade ? { remade: outcome.remade } : {}),
      },
    });
    return 'finished';
  });
}
