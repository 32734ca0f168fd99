import { Readable } from 'node:stream';
import { getEngine } from '@/server/engines/registry';
import { runArtifactKeys } from '@/server/storage/layout';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { buildManifest, artifactExtension } from '@/server/recovery-points/manifest';
import type { RunHandler } from '../runner/execute-run';
import { maybeThrottle } from '../runner/fault-injection';

/**
 * backup.run: stream the engine's dump through a sha256 into the destination, then write the manifest last. The
 * recovery point row is created in the same transaction that marks the run SUCCEEDED, so a dump that failed, was
 * empty, or whose worker died never becomes a recovery point.
 */
export const runBackup: RunHandler = async (claimed, ctx) => {
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: { source: true, destination: true },
  });
  if (!run.destination) throw new Error('run has no destination');
  const { source, destination } = run;
  const engine = getEngine(source.kind);
  const secrets = source.secrets ? openSecret<Record<string, unknown>>(source.secrets, `source:${source.id}`) : {};
  const driver = driverForDestination(destination);
  const startedAt = run.startedAt ?? new Date();
  const keys = runArtifactKeys({ sourceId: source.id, runId: run.id, startedAt }, artifactExtension(source.kind));

  ctx.progress({ phase: 'dumping', bytesDone: 0 });
  await ctx.log('info', `backing up ${source.kind} source "${source.name}" to destination "${destination.name}"`);
  const backup = engine.backup(source.config, secrets, {
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ bytesDone: p.bytes, bytesTotal: p.estimatedTotalBytes ?? null }),
  });
  // The key belongs to this run and no recovery point references it until commit, so a retry may replace it.
  const [stored, result] = await Promise.all([
    driver.put(keys.data, maybeThrottle(backup.stream), { signal: ctx.signal, overwrite: true }),
    backup.done,
  ]);
  if (stored.size === 0) throw new Error('the dump is empty; nothing was recorded');
  if (stored.size !== result.bytes) {
    throw new Error(`stored ${stored.size} bytes but the engine produced ${result.bytes}; nothing was recorded`);
  }
  ctx.progress({ phase: 'writing manifest', bytesDone: stored.size, bytesTotal: stored.size });
  await ctx.log('info', `stored ${stored.size} bytes, sha256 ${stored.sha256}`);

  const finishedAt = new Date();
  const manifest = buildManifest({
    source: { id: source.id, name: source.name, kind: source.kind },
    run: { id: run.id, attempt: claimed.attempt },
    startedAt,
    finishedAt,
    engine: result,
    object: { key: keys.data, size: stored.size, sha256: stored.sha256 },
  });
  await driver.put(keys.manifest, Readable.from([JSON.stringify(manifest, null, 2)]), { signal: ctx.signal, overwrite: true });

  return {
    details: { bytes: stored.size, sha256: stored.sha256, location: keys.data },
    onCommit: async (tx) => {
      await tx.recoveryPoint.create({
        data: {
          sourceId: source.id,
          runId: run.id,
          destinationId: destination.id,
          engine: source.kind,
          location: keys.data,
          sizeBytes: BigInt(stored.size),
          sha256: stored.sha256,
          manifest: manifest as object,
        },
      });
    },
  };
};
