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
    codec: p.codec,
    rawBytes: p.rawBytes === null ? null : Number(p.rawBytes),
    rawSha256: p.rawSha256,
    keyId: p.keyId,
    legalHold: p.legalHold,
    lockedUntil: p.lockedUntil?.toISOString() ?? null,
    verifiedAt: p.verifiedAt?.toISOString() ?? null,
    verifyError: p.verifyError,
    manifest: p.manifest,
    createdAt: p.createdAt.toISOString(),
  };
}
export type RecoveryPointDto = ReturnType<typeof toRecoveryPointDto>;
