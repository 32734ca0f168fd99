import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { codecSteps } from '@/server/artifacts/codec';
import { isArtifactError } from '@/server/artifacts/errors';
import { createReadPipeline, validateReadOptions, type ReadPipelineOptions } from '@/server/artifacts/read-pipeline';
import type { AuditAction } from '@/server/audit/actions';
import { recordAudit } from '@/server/audit/record-audit';
import { authorize, type Actor } from '@/server/auth/permissions';
import { OBJECT_ROLE_PATTERN } from '@/server/engines/engine';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { copyObjectKey, OBJECTS_IN_ORDER, pointObject, type PointObject } from '@/server/recovery-points/point-objects';
import { nothingReadableMessage, readableObjects } from '@/server/recovery-points/readable-objects';
import { RecoveryPointId } from '@/server/retention/ids';
import { isStorageError } from '@/server/storage/driver';
import { driverForDestination } from '@/server/storage/for-destination';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { env } from '@/server/shared/env';
import { DomainError, notFound, shownId } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { downloadFileName, rawExtension } from './download-name';
import { DownloadError } from './errors';
import { verifyObject, type VerifiedObject } from './verified-read';

const DOWNLOAD_ACTION: AuditAction = 'recovery-point.download';

const ObjectRole = z.string().regex(OBJECT_ROLE_PATTERN);

export interface ObjectDownload {
  /** `<source>-<date>-<role>.<raw ext>`, safe to put in a `Content-Disposition` header as it is. */
  filename: string;
  contentType: 'application/octet-stream';
  /** The decoded size when the catalog knows it (it does for every backup made since codecs exist). */
  contentLength: number | null;
  role: string;
  /** Which stored copy is being read, e.g. `primary destination "local"`. */
  from: string;
  /**
   * The decoded bytes. The last chunk is held back until every check of the decode pass passed (stored sha256 read
   * again, raw size and sha256 when recorded, every decoder exited 0), so a failure after the start always leaves
   * the client short of the end (and short of `contentLength`) rather than with a complete-looking file.
   */
  stream: ReadableStream<Uint8Array>;
}

/**
 * `GET /recovery-points/{id}/objects/{role}/content`: one object of a point, decoded (age -d with the point's key,
 * zstd -d, per its codec), for someone who may request restores (`restore:request`: the bytes are the data itself).
 *
 * The stored object is verified in full (size and sha256, `verifyObject`) before the first byte is returned, from
 * the first readable copy in the restore order (`readableObjects`: the primary, then OK copies): a missing,
 * unreadable or damaged copy is logged and the next one tried. When none verifies: `DownloadError`
 * `CHECKSUM_MISMATCH` (at least one copy had wrong bytes) or `OBJECT_UNREADABLE`, audited as failed, and nothing is
 * streamed. A download changes nothing, so its `recovery-point.download` event is committed on its own, once the
 * object verified and before the stream is handed out; a failure while streaming is logged.
 *
 * Refusals: 404 for an unknown point or a role the point does not hold; 409 `INVALID_STATE` for a point whose key was
 * shredded (it cannot be read ever again) or that has no readable copy left.
 */
export async function downloadObject(ctx: VerbContext, rawPointId: unknown, rawRole: unknown): Promise<ObjectDownload> {
  authorize(ctx.actor, 'restore:request');
  const actor = ctx.actor;
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const point = await readerOf(ctx).recoveryPoint.findUnique({
    where: { id: id.data },
    include: {
      source: { select: { name: true } },
      destination: true,
      copies: { where: { status: 'COPY_OK' }, include: { destination: true } },
      objects: OBJECTS_IN_ORDER,
    },
  });
  if (!point) throw notFound('recovery point', id.data);
  const role = ObjectRole.safeParse(rawRole);
  const object = role.success ? pointObject(point, role.data) : undefined;
  if (!object) throw new DomainError('NOT_FOUND', `recovery point ${point.id} holds no object ${JSON.stringify(shownId(String(rawRole)))}`);

  const identities = await identitiesFor(point, object);
  const candidates = readableObjects(point);
  if (candidates.length === 0) throw new DomainError('INVALID_STATE', nothingReadableMessage(point, 'download'));
  const readOptions: ReadPipelineOptions = {
    codec: object.codec,
    identities,
    expectedStoredSha256: object.sha256,
    expectedStoredBytes: Number(object.sizeBytes),
    ...(object.rawSha256 !== null && { expectedRawSha256: object.rawSha256 }),
    ...(object.rawBytes !== null && { expectedRawBytes: Number(object.rawBytes) }),
    // A tmpfs keeps the short-lived identity file off any disk.
    ...(fs.existsSync('/dev/shm') && { tmpDir: '/dev/shm' }),
  };
  // Bad codecs or keys are refused before a full read of the object.
  validateReadOptions(readOptions);

  const spoolRoot = path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'tmp');
  const tried: Array<{ from: string; problem: string }> = [];
  let mismatch = false;
  for (const candidate of candidates) {
    const key = copyObjectKey(point, { location: candidate.location }, object);
    let verified: VerifiedObject | undefined;
    let second: Readable | undefined;
    try {
      verified = await verifyObject(driverForDestination(candidate.destination), key, { sha256: object.sha256, bytes: Number(object.sizeBytes) }, spoolRoot);
      second = await verified.reopen();
    } catch (err) {
      await verified?.remove().catch(() => undefined);
      if (isArtifactError(err, 'CHECKSUM_MISMATCH') || isArtifactError(err, 'SIZE_MISMATCH')) mismatch = true;
      const problem = problemOf(err);
      tried.push({ from: candidate.label, problem });
      logger.warn({ pointId: point.id, role: object.role, from: candidate.label, problem }, 'download: stored object unusable; trying the next copy');
      continue;
    }
    const details = { role: object.role, size: Number(object.sizeBytes), ...(object.rawBytes !== null && { rawSize: Number(object.rawBytes) }), from: candidate.label };
    try {
      await audit(ctx, actor, point.id, details, 'ok');
      const pipeline = createReadPipeline(second, readOptions);
      const cleanup = verified.remove;
      return {
        filename: downloadFileName({ sourceName: point.source.name, createdAt: point.createdAt, role: object.role, extension: rawExtension(object, extensionOf(point.engine)) }),
        contentType: 'application/octet-stream',
        contentLength: object.rawBytes !== null ? Number(object.rawBytes) : object.codec === 'none' ? Number(object.sizeBytes) : null,
        role: object.role,
        from: candidate.label,
        stream: webStream(pipeline.stream, (err) => {
          void cleanup().catch(() => undefined);
          if (err !== undefined) logger.warn({ pointId: point.id, role: object.role, from: candidate.label, err: problemOf(err) }, 'download: failed after it started; the client got an incomplete file');
        }),
      };
    } catch (err) {
      second.destroy();
      await verified.remove().catch(() => undefined);
      throw err;
    }
  }
  const message = mismatch
    ? `no stored copy of object ${object.role} of recovery point ${point.id} has its recorded size and sha256; nothing was sent`
    : `no stored copy of object ${object.role} of recovery point ${point.id} could be read; nothing was sent`;
  await audit(ctx, actor, point.id, { role: object.role, size: Number(object.sizeBytes), error: mismatch ? 'CHECKSUM_MISMATCH' : 'OBJECT_UNREADABLE', tried }, 'failed');
  throw new DownloadError(mismatch ? 'CHECKSUM_MISMATCH' : 'OBJECT_UNREADABLE', message, { tried });
}

/** The point's age identity when the object is encrypted; a shredded key is INVALID_STATE (409) with its date. */
async function identitiesFor(point: { id: string; keyId: string | null }, object: PointObject): Promise<string[]> {
  if (!codecSteps(object.codec).includes('age')) return [];
  if (point.keyId === null) throw new DomainError('INVALID_STATE', `recovery point ${point.id} is encrypted but records no key; it cannot be decoded`);
  return [await openIdentity(point.keyId)];
}

function extensionOf(engine: string): string | undefined {
  return isEngineKind(engine) ? getEngine(engine).artifact.extension : undefined;
}

async function audit(ctx: VerbContext, actor: Actor, pointId: string, details: Record<string, unknown>, result: 'ok' | 'failed'): Promise<void> {
  await withTransaction(ctx, (tx) => recordAudit(tx, actor, { action: DOWNLOAD_ACTION, targetType: 'recovery-point', targetId: pointId, details, result }));
}

/** A few words for logs and the error's details: the artifact or storage code, then the message. */
function problemOf(err: unknown): string {
  if (isArtifactError(err) || isStorageError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A pull-based web stream over `source`: one chunk is read per pull, so a slow client slows the decoders down
 * (back-pressure through age and zstd to the store) and memory stays at a few chunks. The newest chunk is held back
 * until `source` ended cleanly (the decode pass's checks passed); `finish` is called once, with the error if any.
 */
function webStream(source: Readable, finish: (err?: unknown) => void): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let held: Buffer | undefined;
  let finished = false;
  const end = (err?: unknown) => {
    if (finished) return;
    finished = true;
    finish(err);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const next = await chunks.next();
            if (next.done === true) {
              if (held !== undefined) controller.enqueue(held);
              held = undefined;
              controller.close();
              end();
              return;
            }
            const previous = held;
            held = next.value;
            if (previous !== undefined) {
              controller.enqueue(previous);
              return;
            }
          }
        } catch (err) {
          held = undefined;
          controller.error(err);
          end(err);
        }
      },
      async cancel() {
        held = undefined;
        source.destroy();
        await chunks.return?.().catch(() => undefined);
        end(new Error('the client stopped reading'));
      },
    },
    // One chunk queued ahead of the client, besides the one held back.
    { highWaterMark: 1 },
  );
}
