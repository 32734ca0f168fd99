import type { RecoveryPoint } from '@/server/shared/generated/prisma/client';

export function toRecoveryPointDto(
  p: RecoveryPoint & { destination?: { name: string } | null; copies?: { status: string; destination: { name: string } }[] },
) {
  const copies = p.copies ?? [];
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
    /** Set when retention deleted the primary object: the point is read from its OK copies only. */
    primaryDeletedAt: p.primaryDeletedAt?.toISOString() ?? null,
    verifiedAt: p.verifiedAt?.toISOString() ?? null,
    verifyError: p.verifyError,
    manifest: p.manifest,
    createdAt: p.createdAt.toISOString(),
    /**
     * Stored copies: the primary plus each extra copy; `ok` counts the primary (unless retention pruned it, see
     * `primaryPruned`) and the copies with status COPY_OK.
     */
    storedCopies: {
      total: 1 + copies.length,
      ok: (p.primaryDeletedAt === null ? 1 : 0) + copies.filter((c) => c.status === 'COPY_OK').length,
      primaryPruned: p.primaryDeletedAt !== null,
      extra: copies.map((c) => ({ destinationName: c.destination.name, status: c.status })),
    },
  };
}
export type RecoveryPointDto = ReturnType<typeof toRecoveryPointDto>;
