import type { EngineBackupResult } from '@/server/engines/engine';
import { getEngine, isEngineKind } from '@/server/engines/registry';

/** v2: codecs (zstd, age), recipients and the raw stream's hash. docs/FORMAT.md documents every field. */
export const MANIFEST_VERSION = 2;

/** File extension of an engine's raw artifact (the engine declares it); codecs append `.zst` and `.age`. */
export function artifactExtension(kind: string): string {
  return getEngine(kind).artifact.extension;
}

export interface ManifestInput {
  source: { id: string; name: string; kind: string };
  run: { id: string; attempt: number };
  startedAt: Date;
  finishedAt: Date;
  engine: EngineBackupResult;
  object: { key: string; size: number; sha256: string };
  codec: string;
  compressionLevel: number | null;
  recipients: string[];
  /** null where unknown: the direct path (engine → zstd) takes no raw sha256; see docs/FORMAT.md. */
  raw: { size: number | null; sha256: string | null };
}

/**
 * What a recovery point is, written next to the artifact (last, so its presence means the artifact is whole) and
 * kept in the catalog. Enough to restore with standard tools if Lifeboat is gone.
 */
export function buildManifest(input: ManifestInput) {
  const file = input.object.key.split('/').pop() ?? input.object.key;
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
    codec: input.codec,
    compression: input.compressionLevel === null ? null : { algorithm: 'zstd', level: input.compressionLevel },
    encryption: input.recipients.length > 0 ? { format: 'age', recipients: input.recipients } : null,
    raw: { size: input.raw.size, sha256: input.raw.sha256 },
    objects: [{ role: 'data', key: input.object.key, size: input.object.size, sha256: input.object.sha256 }],
    restoreHint: restoreHint(input.source.kind, file, input.codec),
  };
}
export type Manifest = ReturnType<typeof buildManifest>;

/** The engine's one-liner, fed by the standard tools that undo the codecs (age, zstd). */
function restoreHint(kind: string, file: string, codec: string): string | null {
  // A manifest of a kind this build does not know (read back from storage) simply has no hint.
  if (!isEngineKind(kind)) return null;
  const decode = [codec.includes('age') ? `age -d -i key.txt ${file}` : `cat ${file}`, codec.includes('zstd') ? 'zstd -d' : null]
    .filter(Boolean)
    .join(' | ');
  return getEngine(kind).artifact.restoreHint({ file, decode });
}
