import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { allOrRootCause, createReadPipeline, isArtifactError, verifyStored } from '@/server/artifacts';
import { enqueueCopy } from '@/server/copies/enqueue-copy';
import { markCopiesDamaged, type DamagedCopy } from '@/server/copies/mark-copies-damaged';
import type { EngineVerifyResult } from '@/server/engines/engine';
import { getEngine } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { markPointVerified, recordVerifyFailure } from '@/server/recovery-points';
import type { ObjectCheck, ObjectFault } from '@/server/recovery-points/object-fault';
import { nothingReadableMessage, readableObjects, type ReadableObject } from '@/server/recovery-points/readable-objects';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { isStorageError, type StorageDriver } from '@/server/storage/driver';
import { driverForDestination } from '@/server/storage/for-destination';
import { errorMessage, type RunHandler } from '../runner/execute-run';
import { formatBytes } from '@/lib/format';

const verifyActor = (runId: string): Actor => ({ ...SYSTEM_ACTOR, label: `verify run ${runId}` });

/**
 * verify.run: proves a recovery point still restorable without restoring it, and checks every object it is stored as.
 *
 *   checksum:  one full read of EVERY readable object (readableObjects: the primary unless pruned, then each OK
 *              copy); size and sha256 must match the recorded ones. A missing, damaged or unreadable object is
 *              recorded, never only logged: on the point for its primary, on the copy's row for a copy.
 *   decoding:  a second read of the first intact object through age -d (the point's key) → zstd -d, raw sha256
 *              checked when recorded, into the engine's structural check (postgres: pg_restore --list)
 *
 * Success (one object intact and decoded) marks the point verified and records each object's result in the run's
 * own finishing transaction; a damaged object beside it leaves a warning in the log and shows in the point's
 * `damagedObjects` and 3-2-1-1-0's "0 errors". A damaged OK copy is taken out of the readable set in that same
 * transaction (COPY_FAILED, `markCopiesDamaged`) and a copy job re-makes it from an intact object after the commit.
 * A failure (nothing intact, or the intact object does not decode) is
 * recorded on the point and its copies (`verifyError`, audited) before the run ends FAILED with the same message.
 */
export const runVerify: RunHandler = async (claimed, ctx) => {
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: {
      inputPoint: {
        include: {
          destination: true,
          key: { select: { name: true } },
          copies: { where: { status: 'COPY_OK' }, include: { destination: true } },
        },
      },
    },
  });
  const point = run.inputPoint;
  if (!point) throw new Error('verify run has no recovery point');

  // Filled as objects are checked, so that a failure still records what was learnt about each one.
  const checks: ObjectCheck[] = [];
  try {
    // The one reading order (readableObjects): the primary, unless retention pruned it, then OK copies by position.
    const candidates = readableObjects(point);
    if (candidates.length === 0) throw new Error(nothingReadableMessage(point, 'verify'));
    if (point.primaryDeletedAt) {
      await ctx.log('info', `the primary object was pruned by retention; verifying the ${candidates.length === 1 ? 'copy' : 'copies'}, decoding from ${candidates[0]!.label}`);
    }
    const { result, raw, unusable } = await verifyPoint(point, candidates, ctx.signal, checks, {
      phase: (phase, bytesTotal) => ctx.progress({ phase, bytesDone: 0, bytesTotal }),
      bytes: (bytesDone) => ctx.progress({ bytesDone }),
      log: (level, message) => ctx.log(level, message),
    });
    await ctx.log('info', `verified ${point.location}: ${result.summary}`);
    if (unusable.length > 0) {
      await ctx.log(
        'warn',
        `${unusable.length} of ${checks.length} stored objects failed their check: ${unusable.join('; ')}. The point is restorable ` +
          `from the others; the failure is recorded on the object. A damaged copy is re-made from an intact object after this run; ` +
          `a damaged primary counts against "0 errors" until a verification finds it intact`,
      );
    }
    // Backups on the direct path (pg_dump → zstd) record no raw hash; this pass has just decoded and hashed the whole
    // raw stream, so from now on restores check it too. Conditional: a value already recorded is never replaced.
    const learnRaw = point.rawSha256 === null;
    if (learnRaw) await ctx.log('info', `recorded the raw stream's sha256 ${raw.sha256} (${formatBytes(raw.bytes)}), which the backup did not compute`);
    // Filled by the finishing transaction: the copies it took out of the readable set, re-made once it committed.
    let damaged: DamagedCopy[] = [];
    return {
      onCommit: async (tx) => {
        await markPointVerified(tx, point.id, checks);
        damaged = await markCopiesDamaged(tx, verifyActor(run.id), { pointId: point.id, runId: run.id, objects: checks });
        if (learnRaw) {
          await tx.recoveryPoint.updateMany({ where: { id: point.id, rawSha256: null }, data: { rawSha256: raw.sha256, rawBytes: BigInt(raw.bytes) } });
        }
      },
      afterCommit: async () => {
        for (const copy of damaged) {
          const name = point.copies.find((c) => c.id === copy.copyId)?.destination.name ?? copy.destinationId;
          // A lost enqueue is not lost work: the copy is COPY_FAILED with attempts left, so the copy sweep takes it.
          await enqueueCopy({ id: copy.copyId, jobGeneration: copy.jobGeneration, attempts: 0 });
          await ctx.log('info', `re-making the damaged copy on destination "${name}" from an intact object (copy job queued)`);
        }
      },
      details: { recoveryPointId: point.id, structural: result.summary, ...(unusable.length > 0 ? { unusable } : {}) },
    };
  } catch (err) {
    // Cancelled, shut down or taken over: nothing was learnt about the point itself.
    if (ctx.signal.aborted) throw err;
    const message = errorMessage(err);
    await recordVerifyFailure(SYSTEM_ACTOR, { pointId: point.id, runId: run.id, error: message, objects: checks }).catch((e: unknown) =>
      logger.error({ err: e, runId: run.id, pointId: point.id }, 'could not record the failed verification on the point'),
    );
    throw err;
  }
};

interface PointToVerify {
  engine: string;
  location: string;
  codec: string;
  sizeBytes: bigint;
  sha256: string;
  rawBytes: bigint | null;
  rawSha256: string | null;
  keyId: string | null;
}

type VerifyDestination = { kind: string; name: string; config: unknown };

interface VerifyHooks {
  phase: (phase: 'checksum' | 'decoding', bytesTotal: number | null) => void;
  bytes: (bytesDone: number) => void;
  log: (level: 'info' | 'warn', message: string) => Promise<void>;
}

/**
 * Checks size and sha256 of every candidate (each result pushed to `checks`; a missing, damaged or unreadable one is
 * named in `unusable`), then decodes the first intact one. Nothing intact fails the run; so does a failure while
 * decoding: every candidate holds the same bytes, so another one would fail the same way.
 */
async function verifyPoint(
  point: PointToVerify,
  candidates: ReadonlyArray<ReadableObject<VerifyDestination>>,
  signal: AbortSignal,
  checks: ObjectCheck[],
  hooks: VerifyHooks,
): Promise<{ result: EngineVerifyResult; raw: { bytes: number; sha256: string }; unusable: string[] }> {
  const engine = getEngine(point.engine);
  const storedBytes = Number(point.sizeBytes);
  // Before reading gigabytes: a shredded key makes the point unreadable whatever the bytes say.
  const identities = point.keyId ? [await openIdentity(point.keyId)] : [];

  const unusable: string[] = [];
  const failures: unknown[] = [];
  let chosen: { candidate: ReadableObject<VerifyDestination>; driver: StorageDriver } | undefined;
  // One progress bar over all the objects read.
  hooks.phase('checksum', storedBytes * candidates.length);
  for (const [i, candidate] of candidates.entries()) {
    const driver = driverForDestination(candidate.destination);
    await hooks.log('info', `checking size and sha256 of ${candidate.location} on ${candidate.label} (${formatBytes(storedBytes)}, ${point.codec})`);
    try {
      await verifyStored(await openStored(driver, candidate), point.sha256, storedBytes, {
        signal,
        onProgress: (bytes) => hooks.bytes(i * storedBytes + bytes),
      });
      checks.push(candidate.role === 'primary' ? { role: 'primary', copyId: null, ok: true } : { role: 'copy', copyId: candidate.copyId!, ok: true });
      chosen ??= { candidate, driver };
    } catch (err) {
      // Cancellation ends the run at once; anything else is this object's failure, recorded, and the others are checked.
      if (signal.aborted) throw err;
      const { fault, failure } = objectFailure(err);
      const error = errorMessage(failure);
      checks.push(candidate.role === 'primary' ? { role: 'primary', copyId: null, ok: false, fault, error } : { role: 'copy', copyId: candidate.copyId!, ok: false, fault, error });
      failures.push(failure);
      unusable.push(`${candidate.label}: ${error}`);
      const more = i < candidates.length - 1 ? '; checking the next one' : '';
      await hooks.log('warn', `${candidate.label} unusable (${error})${more}`);
    }
  }
  if (!chosen) {
    // One object: its own error, as it always read. Several: each one's, so none is hidden behind the last.
    if (failures.length === 1) throw failures[0];
    throw new Error(`no stored object of the recovery point is intact: ${unusable.join('; ')}`);
  }
  const { candidate, driver } = chosen;

  hooks.phase('decoding', point.rawBytes === null ? null : Number(point.rawBytes));
  await hooks.log('info', `checksum verified; decoding (${point.codec}) from ${candidate.label} and checking the archive's structure`);
  const decoded = createReadPipeline(await openStored(driver, candidate), {
    codec: point.codec,
    identities,
    expectedStoredSha256: point.sha256,
    expectedStoredBytes: storedBytes,
    ...(point.rawSha256 !== null && { expectedRawSha256: point.rawSha256 }),
    ...(point.rawBytes !== null && { expectedRawBytes: Number(point.rawBytes) }),
    signal,
    // A tmpfs keeps the short-lived identity file off any disk.
    ...(fs.existsSync('/dev/shm') ? { tmpDir: '/dev/shm' } : {}),
  });
  const check = engine.verify
    ? engine.verify(decoded.stream, { signal, onProgress: (p) => hooks.bytes(p.bytes) })
    : drain(decoded.stream, `${point.engine} has no structural check; the artifact decodes and its checksums match`);
  const [result, read] = await allOrRootCause([check, decoded.done]);
  return { result, raw: { bytes: read.rawBytes, sha256: read.rawSha256 }, unusable };
}

/** What went wrong with one object, as a recorded fault and the error the run would end with. */
function objectFailure(err: unknown): { fault: ObjectFault; failure: unknown } {
  const sha = isArtifactError(err, 'CHECKSUM_MISMATCH');
  if (sha || isArtifactError(err, 'SIZE_MISMATCH')) {
    return { fault: sha ? 'SHA256_MISMATCH' : 'SIZE_MISMATCH', failure: new Error(`checksum verification failed: ${errorMessage(err)}`, { cause: err }) };
  }
  if (err instanceof MissingObject) return { fault: 'MISSING', failure: err };
  return { fault: 'UNREADABLE', failure: err };
}

class MissingObject extends Error {
  override name = 'MissingObject';
}

/** The stored object, or a readable "missing" error naming where it should be. */
async function openStored(driver: StorageDriver, object: ReadableObject<VerifyDestination>): Promise<Readable> {
  try {
    return await driver.get(object.location);
  } catch (err) {
    if (isStorageError(err, 'NOT_FOUND')) {
      throw new MissingObject(`the stored object ${object.location} is missing from destination ${object.destination.name}`, { cause: err });
    }
    throw err;
  }
}

async function drain(stream: Readable, summary: string): Promise<EngineVerifyResult> {
  const startedAt = Date.now();
  let bytes = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    }),
  );
  return { bytes, durationMs: Date.now() - startedAt, entries: 0, summary };
}
