import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { allOrRootCause, createReadPipeline, isArtifactError, storedExtension, verifyStoredAt } from '@/server/artifacts';
import { enqueueCopy } from '@/server/copies/enqueue-copy';
import { markCopiesDamaged, type DamagedCopy } from '@/server/copies/mark-copies-damaged';
import type { AnyEngine, EngineVerifyResult } from '@/server/engines/engine';
import { getEngine } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { markPointVerified, recordVerifyFailure } from '@/server/recovery-points';
import type { ObjectCheck, ObjectFault } from '@/server/recovery-points/object-fault';
import { DATA_ROLE, OBJECTS_IN_ORDER, pointObjects, type PointObject, type PointWithObjects } from '@/server/recovery-points/point-objects';
import {
  nothingReadableMessage,
  objectName,
  objectsAt,
  readableObjects,
  type ReadableObject,
  type StoredObjectAt,
} from '@/server/recovery-points/readable-objects';
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
 *   checksum:  one full read of EVERY object of the point (pointObjects) on EVERY place that holds it
 *              (readableObjects: the primary unless pruned, then each OK copy); size and sha256 must match the
 *              recorded ones. A missing, damaged or unreadable object is recorded, never only logged, naming the
 *              object: on the point for its primary, on the copy's row for a copy.
 *   decoding:  a second read of each object, from the first place holding it intact, through age -d (the point's
 *              key) → zstd -d, raw sha256 checked when recorded, into the engine's structural check (postgres:
 *              pg_restore --list) for the engine's own artifact; other objects (a `globals.sql`) are decoded and
 *              checksummed only.
 *
 * Success (every object intact somewhere and decoded) marks the point verified and records each place's result in the run's
 * own finishing transaction; a damaged object beside it leaves a warning in the log and shows in the point's
 * `damagedObjects` and 3-2-1-1-0's "0 errors". A damaged OK copy is taken out of the readable set in that same
 * transaction (COPY_FAILED, `markCopiesDamaged`) and a copy job re-makes it from an intact object after the commit.
 * A failure (an object intact nowhere, or one that does not decode; the message names the object) is
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
          objects: OBJECTS_IN_ORDER,
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
    const { decoded, unusable } = await verifyPoint(point, candidates, ctx.signal, checks, {
      phase: (phase, bytesTotal) => ctx.progress({ phase, bytesDone: 0, bytesTotal }),
      bytes: (bytesDone) => ctx.progress({ bytesDone }),
      log: (level, message) => ctx.log(level, message),
    });
    for (const d of decoded) await ctx.log('info', `verified ${d.object.key}: ${d.result.summary}`);
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
    const learnt = decoded.filter((d) => d.object.rawSha256 === null);
    for (const d of learnt) {
      await ctx.log(
        'info',
        `recorded the raw stream's sha256 ${d.raw.sha256} (${formatBytes(d.raw.bytes)})${decoded.length > 1 ? ` of ${objectName(d.object)}` : ''}, which the backup did not compute`,
      );
    }
    const hasObjectRows = (point.objects?.length ?? 0) > 0;
    // Filled by the finishing transaction: the copies it took out of the readable set, re-made once it committed.
    let damaged: DamagedCopy[] = [];
    return {
      onCommit: async (tx) => {
        await markPointVerified(tx, point.id, checks);
        damaged = await markCopiesDamaged(tx, verifyActor(run.id), { pointId: point.id, runId: run.id, objects: checks });
        for (const { object, raw } of learnt) {
          const data = { rawSha256: raw.sha256, rawBytes: BigInt(raw.bytes) };
          if (hasObjectRows) await tx.recoveryPointObject.updateMany({ where: { recoveryPointId: point.id, role: object.role, rawSha256: null }, data });
          // The point's own columns describe its first object.
          if (object.position === pointObjects(point)[0]!.position) {
            await tx.recoveryPoint.updateMany({ where: { id: point.id, rawSha256: null }, data });
          }
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
      details: {
        recoveryPointId: point.id,
        structural: decoded.length === 1 ? decoded[0]!.result.summary : decoded.map((d) => `${d.object.role}: ${d.result.summary}`).join('; '),
        ...(decoded.length > 1 ? { objects: decoded.map((d) => d.object.role) } : {}),
        ...(unusable.length > 0 ? { unusable } : {}),
      },
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

interface PointToVerify extends PointWithObjects {
  engine: string;
  keyId: string | null;
}

type VerifyDestination = { kind: string; name: string; config: unknown };
type Candidate = ReadableObject<VerifyDestination>;

interface VerifyHooks {
  phase: (phase: 'checksum' | 'decoding', bytesTotal: number | null) => void;
  bytes: (bytesDone: number) => void;
  log: (level: 'info' | 'warn', message: string) => Promise<void>;
}

interface DecodedObject {
  object: PointObject;
  result: EngineVerifyResult;
  raw: { bytes: number; sha256: string };
}

/** One object's failure on one place that holds it. */
interface ObjectFailure {
  object: StoredObjectAt;
  label: string;
  fault: ObjectFault;
  error: string;
  failure: unknown;
}

/**
 * Checks size and sha256 of every object on every candidate (each place's result pushed to `checks`: intact only if
 * all its objects are; a damaged one named in `unusable` with the objects that failed), then decodes each object
 * from the first place holding it intact. An object intact nowhere fails the run, naming it; so does a failure while
 * decoding: every place holds the same bytes of an object, so another one would fail the same way.
 */
async function verifyPoint(
  point: PointToVerify,
  candidates: readonly Candidate[],
  signal: AbortSignal,
  checks: ObjectCheck[],
  hooks: VerifyHooks,
): Promise<{ decoded: DecodedObject[]; unusable: string[] }> {
  const engine = getEngine(point.engine);
  const objects = pointObjects(point);
  const several = objects.length > 1;
  // Before reading gigabytes: a shredded key makes the point unreadable whatever the bytes say.
  const identities = point.keyId ? [await openIdentity(point.keyId)] : [];

  const unusable: string[] = [];
  // Per object (by index), the first place holding it intact, and every place's failure for it.
  const intact: Array<{ candidate: Candidate; driver: StorageDriver; stored: StoredObjectAt } | undefined> = objects.map(() => undefined);
  const failuresOf: ObjectFailure[][] = objects.map(() => []);
  const perCandidate = objects.reduce((sum, o) => sum + Number(o.sizeBytes), 0);
  // One progress bar over every object read.
  hooks.phase('checksum', perCandidate * candidates.length);
  let bytesBefore = 0;
  for (const [c, candidate] of candidates.entries()) {
    const driver = driverForDestination(candidate.destination);
    const failed: ObjectFailure[] = [];
    for (const [i, stored] of objectsAt(point, candidate).entries()) {
      const size = Number(stored.sizeBytes);
      await hooks.log('info', `checking size and sha256 of ${stored.location} on ${candidate.label} (${formatBytes(size)}, ${stored.codec})`);
      const offset = bytesBefore;
      try {
        // A local file is read by positional reads (verifyStoredAt), anything else as a stream.
        await orMissing(stored.location, candidate.destination.name, () =>
          verifyStoredAt(driver, stored.location, stored.sha256, size, { signal, onProgress: (bytes) => hooks.bytes(offset + bytes) }),
        );
        intact[i] ??= { candidate, driver, stored };
      } catch (err) {
        // Cancellation ends the run at once; anything else is this object's failure, recorded, and the others are checked.
        if (signal.aborted) throw err;
        const { fault, failure } = objectFailure(err);
        const f: ObjectFailure = { object: stored, label: candidate.label, fault, error: errorMessage(failure), failure };
        failed.push(f);
        failuresOf[i]!.push(f);
        const more = c < candidates.length - 1 || i < objects.length - 1 ? '; checking the next one' : '';
        await hooks.log('warn', `${candidate.label}${several ? `, ${objectName(stored)},` : ''} unusable (${f.error})${more}`);
      }
      bytesBefore += size;
    }
    // A place is intact only if every object it holds is; its recorded fault is its first damaged object's.
    const error = several ? failed.map((f) => `${objectName(f.object)}: ${f.error}`).join('; ') : failed[0]?.error;
    if (failed.length === 0 || error === undefined) {
      checks.push(candidate.role === 'primary' ? { role: 'primary', copyId: null, ok: true } : { role: 'copy', copyId: candidate.copyId!, ok: true });
    } else {
      const fault = failed[0]!.fault;
      checks.push(
        candidate.role === 'primary' ? { role: 'primary', copyId: null, ok: false, fault, error } : { role: 'copy', copyId: candidate.copyId!, ok: false, fault, error },
      );
      unusable.push(`${candidate.label}: ${error}`);
    }
  }

  const lost = objects.map((o, i) => ({ object: o, failures: failuresOf[i]! })).filter((_, i) => intact[i] === undefined);
  if (lost.length > 0) {
    if (!several) {
      // One object: with one place, its own error, as it always read; several: each one's, so none is hidden behind the last.
      const only = lost[0]!.failures;
      if (only.length === 1) throw only[0]!.failure;
      throw new Error(`no stored object of the recovery point is intact: ${unusable.join('; ')}`);
    }
    throw new Error(
      lost
        .map(({ object, failures }) =>
          failures.length === 1
            ? `${objectName(object)}: ${failures[0]!.error}`
            : `no stored copy of ${objectName(object)} is intact: ${failures.map((f) => `${f.label}: ${f.error}`).join('; ')}`,
        )
        .join('; '),
      ...(lost.length === 1 && lost[0]!.failures.length === 1 ? [{ cause: lost[0]!.failures[0]!.failure }] : []),
    );
  }

  const rawTotal = objects.every((o) => o.rawBytes !== null) ? objects.reduce((sum, o) => sum + Number(o.rawBytes), 0) : null;
  hooks.phase('decoding', rawTotal);
  const decoded: DecodedObject[] = [];
  let rawBefore = 0;
  for (const [i, object] of objects.entries()) {
    const { candidate, driver, stored } = intact[i]!;
    const structural = engine.verify !== undefined && isEngineArtifact(engine, object);
    await hooks.log(
      'info',
      `checksum verified; decoding${several ? ` ${objectName(object)}` : ''} (${object.codec}) from ${candidate.label} and ` +
        (structural ? "checking the archive's structure" : 'checking its checksums (not an archive the engine checks)'),
    );
    const offset = rawBefore;
    try {
      const { result, raw } = await decodeObject(engine, structural, await openStored(driver, stored.location, candidate.destination.name), object, identities, signal, (bytes) =>
        hooks.bytes(offset + bytes),
      );
      decoded.push({ object, result, raw });
      rawBefore += raw.bytes;
    } catch (err) {
      if (signal.aborted || !several) throw err;
      throw new Error(`${objectName(object)} from ${candidate.label}: ${errorMessage(err)}`, { cause: err });
    }
  }
  return { decoded, unusable };
}

/** Reads one stored object through its decoders, checksums on, into the engine's structural check or a drain. */
async function decodeObject(
  engine: AnyEngine,
  structural: boolean,
  stored: Readable,
  object: PointObject,
  identities: string[],
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
): Promise<{ result: EngineVerifyResult; raw: { bytes: number; sha256: string } }> {
  const decoded = createReadPipeline(stored, {
    codec: object.codec,
    identities,
    expectedStoredSha256: object.sha256,
    expectedStoredBytes: Number(object.sizeBytes),
    ...(object.rawSha256 !== null && { expectedRawSha256: object.rawSha256 }),
    ...(object.rawBytes !== null && { expectedRawBytes: Number(object.rawBytes) }),
    signal,
    // A tmpfs keeps the short-lived identity file off any disk.
    ...(fs.existsSync('/dev/shm') ? { tmpDir: '/dev/shm' } : {}),
  });
  const check =
    structural && engine.verify
      ? engine.verify(decoded.stream, { signal, onProgress: (p) => onBytes(p.bytes) })
      : drain(
          decoded.stream,
          engine.verify ? `${object.role}: decodes and its checksums match (no structural check for it)` : `${engine.kind} has no structural check; the artifact decodes and its checksums match`,
          onBytes,
        );
  const [result, read] = await allOrRootCause([check, decoded.done]);
  return { result, raw: { bytes: read.rawBytes, sha256: read.rawSha256 } };
}

/**
 * Whether `object` is the engine's own artifact (what its `verify` checks, e.g. a `pg_dump` archive), rather than a
 * side object such as a `globals.sql`: the single `data` object, or one whose raw extension (the file name after
 * `<role>.`, without the codec's suffixes; or `details.extension`) is the engine's `artifact.extension`.
 */
export function isEngineArtifact(engine: { artifact: { extension: string } }, object: Pick<PointObject, 'role' | 'key' | 'codec' | 'details'>): boolean {
  if (object.role === DATA_ROLE) return true;
  const declared = object.details.extension;
  if (typeof declared === 'string') return declared === engine.artifact.extension;
  const file = object.key.slice(object.key.lastIndexOf('/') + 1);
  if (!file.startsWith(`${object.role}.`)) return false;
  const extension = file.slice(object.role.length + 1);
  let suffix: string;
  try {
    suffix = storedExtension('', object.codec);
  } catch {
    return false;
  }
  return extension === `${engine.artifact.extension}${suffix}`;
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
function openStored(driver: StorageDriver, location: string, destinationName: string): Promise<Readable> {
  return orMissing(location, destinationName, () => driver.get(location));
}

/** `read`'s answer; a store's NOT_FOUND becomes a readable "missing" error naming where the object should be. */
async function orMissing<T>(location: string, destinationName: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (isStorageError(err, 'NOT_FOUND')) {
      throw new MissingObject(`the stored object ${location} is missing from destination ${destinationName}`, { cause: err });
    }
    throw err;
  }
}

async function drain(stream: Readable, summary: string, onBytes?: (bytes: number) => void): Promise<EngineVerifyResult> {
  const startedAt = Date.now();
  let bytes = 0;
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        onBytes?.(bytes);
        callback();
      },
    }),
  );
  return { bytes, durationMs: Date.now() - startedAt, entries: 0, summary };
}
