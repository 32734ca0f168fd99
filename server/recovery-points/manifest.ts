import type { EngineBackupResult } from '@/server/engines/engine';
import { getEngine, isEngineKind } from '@/server/engines/registry';

/**
 * v3: several objects per point, each with its own codec, raw size/hash, format, details and restore hint. v2 (one
 * object; codecs, recipients and the raw stream's hash at the top level, still written for the first object) stays
 * readable. docs/FORMAT.md documents every field.
 */
export const MANIFEST_VERSION = 3;

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
  /** The point's only object (role `data`); give `objects` instead for several. */
  object?: { key: string; size: number; sha256: string };
  /** Every object, in order; the first is the one the top-level `codec`/`raw`/`engine` describe. */
  objects?: ManifestObjectInput[];
  codec: string;
  compressionLevel: number | null;
  recipients: string[];
  /** null where unknown: the direct path (engine → zstd) takes no raw sha256; see docs/FORMAT.md. */
  raw: { size: number | null; sha256: string | null };
}

export interface ManifestObjectInput {
  role: string;
  key: string;
  size: number;
  sha256: string;
  codec: string;
  raw: { size: number | null; sha256: string | null };
  /** The engine's format of this object's raw bytes, e.g. `pg_dump-custom`, `pg_dumpall-sql`. */
  format: string;
  details: Record<string, unknown>;
  /** This object's own restore one-liner (from `decode`), when the engine's artifact hint does not fit it. */
  restoreHint?: (input: { file: string; decode: string }) => string | null;
}

/**
 * What a recovery point is, written next to the artifact (last, so its presence means the artifact is whole) and
 * kept in the catalog. Enough to restore with standard tools if Lifeboat is gone.
 */
export function buildManifest(input: ManifestInput) {
  const objects: ManifestObjectInput[] =
    input.objects ??
    (input.object
      ? [{ role: 'data', ...input.object, codec: input.codec, raw: input.raw, format: input.engine.format, details: input.engine.details ?? {} }]
      : []);
  if (objects.length === 0) throw new Error('a manifest needs at least one object');
  const file = fileOf(objects[0]!.key);
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
    objects: objects.map((o) => ({
      role: o.role,
      key: o.key,
      size: o.size,
      sha256: o.sha256,
      codec: o.codec,
      format: o.format,
      raw: { size: o.raw.size, sha256: o.raw.sha256 },
      details: o.details,
      restoreHint: restoreHint(input.source.kind, fileOf(o.key), o.codec, o.restoreHint),
    })),
    restoreHint: restoreHint(input.source.kind, file, input.codec),
  };
}
export type Manifest = ReturnType<typeof buildManifest>;

const fileOf = (key: string): string => key.split('/').pop() ?? key;

/** The engine's one-liner, fed by the standard tools that undo the codecs (age, zstd). */
function restoreHint(kind: string, file: string, codec: string, own?: (input: { file: string; decode: string }) => string | null): string | null {
  const decode = [codec.includes('age') ? `age -d -i key.txt ${file}` : `cat ${file}`, codec.includes('zstd') ? 'zstd -d' : null]
    .filter(Boolean)
    .join(' | ');
  if (own !== undefined) return own({ file, decode });
  // A manifest of a kind this build does not know (read back from storage) simply has no hint.
  if (!isEngineKind(kind)) return null;
  return getEngine(kind).artifact.restoreHint({ file, decode });
}
