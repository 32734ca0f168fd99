import type { RecoveryPoint } from '@/server/shared/generated/prisma/client';

export function toRecoveryPointDto(p: RecoveryPoint & { destination?: { name: string } | null }) {
  return {
    id: p.id,
    sourceId: p.sourceId,
    runId: p.runId,
    destinationId: p.destinationId,
    destinationName: p.destination?.name ?? null,
    engine: p.engine,
    location: p.location,
    sizeBytes: Number(p.sizeBytes),
    sha256: p.sha256,
    manifest: p.manifest,
    createdAt: p.createdAt.toISOString(),
  };
}
export type RecoveryPointDto = ReturnType<typeof toRecoveryPointDto>;
