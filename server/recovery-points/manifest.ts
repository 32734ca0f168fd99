import type { EngineBackupResult } from '@/server/engines/engine';

export const MANIFEST_VERSION = 1;

/** File extension of a stored artifact, per engine, as it sits in the destination (before codecs). */
export function artifactExtension(kind: string): string {
  if (kind === 'postgres') return 'pgdump';
  return 'bin';
}

export interface ManifestInput {
  source: { id: string; name: string; kind: string };
  run: { id: string; attempt: number };
  startedAt: Date;
  finishedAt: Date;
  engine: EngineBackupResult;
  object: { key: string; size: number; sha256: string };
}

/**
 * What a recovery point is, written next to the artifact (last, so its presence means the artifact is whole) and
 * kept in the catalog. Enough to restore with standard tools if Lifeboat is gone.
 */
export function buildManifest(input: ManifestInput) {
  return {
    manifestVersion: MANIFEST_VERSION,
    kind: 'lifeboat.recovery-point',
    source: input.source,
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    engine: {
      kind: input.source.kind,
      format: input.engine.format,
      serverVersion: input.engine.serverVersion ?? null,
      toolVersion: input.engine.toolVersion ?? null,
      sourceSizeBytes: input.engine.sourceSizeBytes ?? null,
      durationMs: input.engine.durationMs,
    },
    objects: [{ role: 'data', key: input.object.key, size: input.object.size, sha256: input.object.sha256, codec: 'none', encryption: 'none' }],
    restoreHint:
      input.source.kind === 'postgres'
        ? 'createdb NEW_DB && pg_restore --no-owner --exit-on-error -d NEW_DB data.pgdump'
        : null,
  };
}
export type Manifest = ReturnType<typeof buildManifest>;
