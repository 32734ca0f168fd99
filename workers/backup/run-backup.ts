import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { enqueueCopy } from '@/server/copies/enqueue-copy';
import type { EngineRegistry } from '@/server/engines/registry';
import { ensureActiveKey } from '@/server/keys/ensure-active-key';
import { runArtifactKeys, runObjectKey, type RunArtifactKeys } from '@/server/storage/layout';
import type { StorageDriver } from '@/server/storage/driver';
import { EngineError, OBJECT_ROLE_PATTERN, type AnyEngine, type EngineBackupObject, type EngineBackupResult } from '@/server/engines/engine';
import { DATA_ROLE } from '@/server/recovery-points/point-objects';
import type { Prisma } from '@/server/shared/db';
import { driverForDestination } from '@/server/storage/for-destination';
import { openSecret } from '@/server/shared/secrets';
import { buildManifest } from '@/server/recovery-points/manifest';
import type { HandlerResult } from '../runner/execute-run';
import type { RunContext } from '../runner/run-context';
import type { ClaimedRun } from '@/server/runs/transitions';
import { loadBackupRun } from './load-backup-run';
import { produceArtifact } from './produce-artifact';
import { codecOf, storedExtension } from '@/server/artifacts/codec';
import { formatBytes } from '@/lib/format';

// Without a policy, artifacts are compressed with zstd level 3 (the CLI's default: most of the gain for little CPU)
// and encrypted to the active key.
const DEFAULT_COMPRESSION_LEVEL = 3;

/**
 * backup.run: engine → zstd → age → destination, hashed on the way; the manifest is written last. The recovery
 * point row is created in the same transaction that marks the run SUCCEEDED, so a dump that failed, was empty, or
 * whose worker died never becomes a recovery point. The source's engine comes from the worker's `engines` (the
 * production registry, unless the scheduler bench started the worker with its instant engine too).
 */
export async function runBackup(claimed: ClaimedRun, ctx: RunContext, engines: EngineRegistry): Promise<HandlerResult> {
  const run = await loadBackupRun(claimed.id);
  if (!run.destination) throw new Error('run has no destination');
  const { source, destination } = run;
  const policy = source.policy;
  const compressionLevel = policy ? policy.compressionLevel : DEFAULT_COMPRESSION_LEVEL;
  const key = (policy?.encrypt ?? true) ? await ensureActiveKey() : null;
  const engine = engines.get(source.kind);
  const secrets = source.secrets ? openSecret<Record<string, unknown>>(source.secrets, `source:${source.id}`) : {};
  const driver = driverForDestination(destination);
  const startedAt = run.startedAt ?? new Date();
  const keys = runArtifactKeys({ sourceId: source.id, runId: run.id, startedAt }, storedExtension(engine.artifact.extension, codecOf({ compressed: compressionLevel !== null, encrypted: key !== null })));

  ctx.progress({ phase: 'dumping', bytesDone: 0 });
  await ctx.log(
    'info',
    `backing up ${source.kind} source "${source.name}" to destination "${destination.name}"` +
      ` (${compressionLevel === null ? 'no zstd' : `zstd -${compressionLevel}`}, ${key ? `encrypted to ${key.name}` : 'not encrypted'})`,
  );
  const codec = codecOf({ compressed: compressionLevel !== null, encrypted: key !== null });
  const stored = await storeObjects({ engine, config: source.config, secrets, driver, keys, codec, compressionLevel, recipients: key ? [key.recipient] : [], ctx });
  const first = stored[0]!;
  const rawTotal = stored.reduce((sum, o) => sum + (o.rawBytes ?? o.size), 0);
  ctx.progress({ phase: 'writing manifest', bytesDone: rawTotal, bytesTotal: rawTotal });

  const manifest = buildManifest({
    source: { id: source.id, name: source.name, kind: source.kind },
    run: { id: run.id, attempt: claimed.attempt },
    startedAt,
    finishedAt: new Date(),
    engine: first.engine,
    objects: stored.map((o) => ({
      role: o.role,
      key: o.key,
      size: o.size,
      sha256: o.sha256,
      codec: o.codec,
      raw: { size: o.rawBytes ?? null, sha256: o.rawSha256 ?? null },
      format: o.engine.format,
      details: o.details,
      ...(o.restoreHint !== undefined && { restoreHint: o.restoreHint }),
    })),
    codec: first.codec,
    compressionLevel,
    recipients: key ? [key.recipient] : [],
    raw: { size: first.rawBytes ?? null, sha256: first.rawSha256 ?? null },
  });
  try {
    await driver.put(keys.manifest, Readable.from([JSON.stringify(manifest, null, 2)]), { signal: ctx.signal, overwrite: true });
  } catch (err) {
    await removeStored(driver, stored.map((o) => o.key));
    throw err;
  }

  // Extra copies (3-2-1): one COPY_PENDING row per policy copy destination, committed with the point, enqueued after.
  const copies = (policy?.copies ?? [])
    .filter((c) => c.destinationId !== destination.id)
    .map((c) => ({ id: crypto.randomUUID(), destinationId: c.destinationId, position: c.position }));
  return {
    details: {
      bytes: stored.reduce((sum, o) => sum + o.size, 0),
      sha256: first.sha256,
      location: first.key,
      codec: first.codec,
      copies: copies.length,
      ...(stored.length > 1 && { objects: stored.map((o) => o.role) }),
    },
    afterCommit: async () => {
      for (const copy of copies) await enqueueCopy({ id: copy.id, jobGeneration: 0, attempts: 0 });
    },
    onCommit: async (tx) => {
      // The point, its objects and its copies' rows in one transaction: a point is never seen without every object.
      const point = await tx.recoveryPoint.create({
        data: {
          sourceId: source.id,
          runId: run.id,
          destinationId: destination.id,
          engine: source.kind,
          location: first.key,
          sizeBytes: BigInt(first.size),
          sha256: first.sha256,
          codec: first.codec,
          rawBytes: first.rawBytes === undefined ? null : BigInt(first.rawBytes),
          rawSha256: first.rawSha256 ?? null,
          keyId: key?.id ?? null,
          manifest: manifest as object,
          objects: {
            create: stored.map((o, position) => ({
              role: o.role,
              position,
              key: o.key,
              sizeBytes: BigInt(o.size),
              sha256: o.sha256,
              codec: o.codec,
              rawBytes: o.rawBytes === undefined ? null : BigInt(o.rawBytes),
              rawSha256: o.rawSha256 ?? null,
              details: o.details as Prisma.InputJsonObject,
            })),
          },
        },
        select: { id: true },
      });
      if (copies.length > 0) {
        await tx.recoveryPointCopy.createMany({
          data: copies.map((c) => ({ id: c.id, recoveryPointId: point.id, destinationId: c.destinationId, position: c.position, location: first.key })),
        });
      }
    },
  };
}

export interface StoredObject {
  role: string;
  key: string;
  size: number;
  sha256: string;
  codec: string;
  rawBytes: number | undefined;
  rawSha256: string | undefined;
  engine: EngineBackupResult;
  details: Record<string, unknown>;
  restoreHint?: (input: { file: string; decode: string }) => string | null;
}

export interface StoreObjectsInput {
  engine: AnyEngine;
  config: unknown;
  secrets: unknown;
  driver: StorageDriver;
  keys: RunArtifactKeys;
  codec: string;
  compressionLevel: number | null;
  recipients: string[];
  /** The run's context; only these three are used (the multi-database bench passes its own, bench/pg-multi.bench.ts). */
  ctx: Pick<RunContext, 'signal' | 'progress' | 'log'>;
}

/**
 * Every object of the backup, one after the other: the engine's single `data` object, or each object its
 * `backupObjects` yields, each stored completely before the next is asked for. If any fails, what was already stored
 * under the run's folder is deleted (best effort; a retry overwrites the same keys anyway) and the engine's iterator
 * is closed, so its tools stop and its scratch files go.
 */
export async function storeObjects(input: StoreObjectsInput): Promise<StoredObject[]> {
  const { engine, ctx } = input;
  const stored: StoredObject[] = [];
  const roles = new Set<string>();
  let bytesBefore = 0;
  const storeOne = async (object: EngineBackupObject | undefined, role: string, extension: string, details: Record<string, unknown>) => {
    if (!OBJECT_ROLE_PATTERN.test(role) || roles.has(role)) throw new Error(`the engine produced an object with an invalid or repeated role ${JSON.stringify(role)}`);
    roles.add(role);
    // Role `data` gets `data.<ext>`, the key a single-object point always had.
    const objectKey = runObjectKey(input.keys, role, storedExtension(extension, input.codec));
    const artifact = await produceArtifact({
      engine,
      config: input.config,
      secrets: input.secrets,
      ...(object !== undefined && { object }),
      driver: input.driver,
      key: objectKey,
      compressionLevel: input.compressionLevel,
      recipients: input.recipients,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({ bytesDone: bytesBefore + p.bytes, bytesTotal: p.estimatedTotalBytes === undefined ? null : bytesBefore + p.estimatedTotalBytes }),
    });
    const rawBytes = artifact.rawBytes;
    bytesBefore += rawBytes ?? artifact.stored.size;
    const entry: StoredObject = {
      role,
      key: objectKey,
      size: artifact.stored.size,
      sha256: artifact.stored.sha256,
      codec: artifact.codec,
      rawBytes,
      rawSha256: artifact.rawSha256,
      engine: artifact.engine,
      details: { ...details, ...(artifact.engine.details ?? {}) },
      ...(object?.restoreHint !== undefined && { restoreHint: object.restoreHint.bind(object) }),
    };
    stored.push(entry);
    await ctx.log(
      'info',
      `${role === DATA_ROLE ? 'dumped' : `object ${role}: dumped`} ${rawBytes === undefined ? 'an unknown size' : formatBytes(rawBytes)}, stored ${formatBytes(entry.size)} (${entry.codec}), sha256 ${entry.sha256}`,
    );
  };

  try {
    if (engine.backupObjects === undefined) {
      await storeOne(undefined, DATA_ROLE, engine.artifact.extension, {});
    } else {
      // for await closes the iterator (its return()) when the body throws: the engine stops its tools.
      for await (const object of engine.backupObjects(input.config, input.secrets, { signal: ctx.signal })) {
        await storeOne(object, object.role, object.extension, object.details ?? {});
      }
      if (stored.length === 0) throw new EngineError('EMPTY_OUTPUT', 'the backup produced no object; nothing was recorded');
    }
  } catch (err) {
    await removeStored(input.driver, stored.map((o) => o.key));
    throw err;
  }
  return stored;
}

/** Deletes what a failed backup already stored (best effort: the run's error is what matters). */
async function removeStored(driver: StorageDriver, keys: string[]): Promise<void> {
  for (const key of keys) await driver.delete(key).catch(() => undefined);
}
