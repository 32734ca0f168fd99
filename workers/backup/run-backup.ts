import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { enqueueCopy } from '@/server/copies/enqueue-copy';
import type { EngineRegistry } from '@/server/engines/registry';
import { ensureActiveKey } from '@/server/keys/ensure-active-key';
import { runArtifactKeys } from '@/server/storage/layout';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { buildManifest } from '@/server/recovery-points/manifest';
import type { HandlerResult } from '../runner/execute-run';
import type { RunContext } from '../runner/run-context';
import type { ClaimedRun } from '@/server/runs/transitions';
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
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: { source: { include: { policy: { include: { copies: { orderBy: { position: 'asc' } } } } } }, destination: true },
  });
  if (!run.destination) throw new Error('run has no destination');
  const { source, destination } = run;
  const policy = source.policy;
  const compressionLevel = policy ? policy.compressionLevel : DEFAULT_COMPRESSION_LEVEL;
  const key = (policy?.encrypt ?? true) ? await ensureActiveKey() : null;
  const engine = engines.get(source.kind);
  const secrets = source.secrets ? openSecret<Record<string, unknown>>(source.secrets, `source:${source.id}`) : {};
  const driver = driverForDestination(destination);
  const startedAt = run.startedAt ?? new Date();
  const extension = storedExtension(engine.artifact.extension, codecOf({ compressed: compressionLevel !== null, encrypted: key !== null }));
  const keys = runArtifactKeys({ sourceId: source.id, runId: run.id, startedAt }, extension);

  ctx.progress({ phase: 'dumping', bytesDone: 0 });
  await ctx.log(
    'info',
    `backing up ${source.kind} source "${source.name}" to destination "${destination.name}"` +
      ` (${compressionLevel === null ? 'no zstd' : `zstd -${compressionLevel}`}, ${key ? `encrypted to ${key.name}` : 'not encrypted'})`,
  );
  const artifact = await produceArtifact({
    engine,
    config: source.config,
    secrets,
    driver,
    key: keys.data,
    compressionLevel,
    recipients: key ? [key.recipient] : [],
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ bytesDone: p.bytes, bytesTotal: p.estimatedTotalBytes ?? null }),
  });
  const { stored } = artifact;
  ctx.progress({ phase: 'writing manifest', bytesDone: artifact.rawBytes ?? stored.size, bytesTotal: artifact.rawBytes ?? stored.size });
  await ctx.log('info', `dumped ${artifact.rawBytes === null || artifact.rawBytes === undefined ? 'an unknown size' : formatBytes(artifact.rawBytes)}, stored ${formatBytes(stored.size)} (${artifact.codec}), sha256 ${stored.sha256}`);

  const manifest = buildManifest({
    source: { id: source.id, name: source.name, kind: source.kind },
    run: { id: run.id, attempt: claimed.attempt },
    startedAt,
    finishedAt: new Date(),
    engine: artifact.engine,
    object: { key: keys.data, size: stored.size, sha256: stored.sha256 },
    codec: artifact.codec,
    compressionLevel,
    recipients: key ? [key.recipient] : [],
    raw: { size: artifact.rawBytes ?? null, sha256: artifact.rawSha256 ?? null },
  });
  await driver.put(keys.manifest, Readable.from([JSON.stringify(manifest, null, 2)]), { signal: ctx.signal, overwrite: true });

  // Extra copies (3-2-1): one COPY_PENDING row per policy copy destination, committed with the point, enqueued after.
  const copies = (policy?.copies ?? [])
    .filter((c) => c.destinationId !== destination.id)
    .map((c) => ({ id: crypto.randomUUID(), destinationId: c.destinationId, position: c.position }));
  return {
    details: { bytes: stored.size, sha256: stored.sha256, location: keys.data, codec: artifact.codec, copies: copies.length },
    afterCommit: async () => {
      for (const copy of copies) await enqueueCopy({ id: copy.id, jobGeneration: 0, attempts: 0 });
    },
    onCommit: async (tx) => {
      const point = await tx.recoveryPoint.create({
        data: {
          sourceId: source.id,
          runId: run.id,
          destinationId: destination.id,
          engine: source.kind,
          location: keys.data,
          sizeBytes: BigInt(stored.size),
          sha256: stored.sha256,
          codec: artifact.codec,
          rawBytes: artifact.rawBytes === undefined ? null : BigInt(artifact.rawBytes),
          rawSha256: artifact.rawSha256 ?? null,
          keyId: key?.id ?? null,
          manifest: manifest as object,
        },
        select: { id: true },
      });
      if (copies.length > 0) {
        await tx.recoveryPointCopy.createMany({
          data: copies.map((c) => ({ id: c.id, recoveryPointId: point.id, destinationId: c.destinationId, position: c.position, location: keys.data })),
        });
      }
    },
  };
}
