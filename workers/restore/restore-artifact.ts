import fs from 'node:fs';
import type { AnyEngine, EngineProgress, EngineRestoreResult } from '@/server/engines/engine';
import type { StorageDriver } from '@/server/storage/driver';
import { verifyAndDecode } from '@/server/artifacts/pipeline';
import { allOrRootCause } from '@/server/artifacts/settle';

export interface RestoreArtifactInput {
  engine: AnyEngine;
  config: unknown;
  secrets: unknown;
  target: unknown;
  driver: StorageDriver;
  location: string;
  codec: string;
  storedBytes: number;
  storedSha256: string;
  rawSha256?: string | null;
  identities: string[];
  signal?: AbortSignal;
  onPhase?: (phase: 'verifying' | 'restoring') => void;
  onProgress?: (p: EngineProgress) => void;
}

/**
 * Verifies the stored object (size and sha256, one full read) before a single byte reaches the target, then reads it
 * again through age -d → zstd -d into the engine's restore. Shared by the restore worker and the benchmark.
 */
export async function restoreArtifact(input: RestoreArtifactInput): Promise<EngineRestoreResult> {
  input.onPhase?.('verifying');
  const decoded = await verifyAndDecode(() => input.driver.get(input.location), {
    codec: input.codec,
    identities: input.identities,
    expectedStoredSha256: input.storedSha256,
    expectedStoredBytes: input.storedBytes,
    expectedRawSha256: input.rawSha256 ?? undefined,
    signal: input.signal,
    onVerifyProgress: (bytes) => input.onProgress?.({ phase: 'restore', bytes }),
    // A tmpfs keeps the short-lived identity file off any disk.
    ...(fs.existsSync('/dev/shm') ? { tmpDir: '/dev/shm' } : {}),
  });
  input.onPhase?.('restoring');
  const [result] = await allOrRootCause([
    input.engine.restore(input.config, input.secrets, decoded.stream, input.target, {
      signal: input.signal,
      onProgress: input.onProgress,
    }),
    decoded.done,
  ]);
  return result;
}
