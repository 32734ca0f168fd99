import type { RecoveryPoint } from '@/server/shared/generated/prisma/client';
import { faultWords } from './object-fault';
import { objectLabel } from './readable-objects';
import { OBJECTS_IN_ORDER, pointObjects, type PointWithObjects } from './point-objects';

/** What `toRecoveryPointDto` needs loaded with a point (get and list use this one include). */
export const recoveryPointDtoInclude = {
  destination: { select: { name: true } },
  copies: {
    select: { status: true, verifiedAt: true, verifyError: true, verifyFault: true, destination: { select: { name: true } } },
    orderBy: { position: 'asc' },
  },
  objects: OBJECTS_IN_ORDER,
} as const;

type CopyFields = { status: string; verifiedAt: Date | null; verifyError: string | null; verifyFault: string | null; destination: { name: string } };

export function toRecoveryPointDto(p: RecoveryPoint & { destination?: { name: string } | null; copies?: CopyFields[]; objects?: PointWithObjects['objects'] }) {
  const copies = p.copies ?? [];
  const primaryName = p.destination?.name ?? 'primary';
  // Every object that exists (primary unless pruned, OK copies) whose last verification failed. A damaged object
  // is never hidden behind a point that another object keeps restorable.
  const damagedObjects = [
    ...(p.primaryDeletedAt === null && p.verifyFault !== null
      ? [{ role: 'primary' as const, destinationName: primaryName, fault: p.verifyFault, error: p.verifyError ?? '' }]
      : []),
    ...copies
      .filter((c) => c.status === 'COPY_OK' && c.verifyError !== null)
      .map((c) => ({ role: 'copy' as const, destinationName: c.destination.name, fault: c.verifyFault, error: c.verifyError ?? '' })),
  ].map((o) => ({ ...o, label: objectLabel(o.role, o.destinationName), summary: faultWords(o.fault) }));
  /**
   * Every stored object of the point, in order (one `data` object for single-object engines; one per database plus
   * `globals`, a command's files …): `size`/`sha256` of the stored bytes, `rawBytes` decoded, `details` from the
   * engine (database, tables with row counts, Redis keys per database, file name). `location`, `sizeBytes`, `sha256`,
   * `codec`, `rawBytes` and `rawSha256` describe the first; `totalBytes` is the whole point.
   */
  const objects = pointObjects(p).map((o) => ({
    role: o.role,
    key: o.key,
    size: Number(o.sizeBytes),
    sha256: o.sha256,
    codec: o.codec,
    rawBytes: o.rawBytes === null ? null : Number(o.rawBytes),
    details: o.details,
  }));
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
    objects,
    /** Stored bytes of every object of the point together (`sizeBytes` is the first object's, as before objects). */
    totalBytes: objects.reduce((sum, o) => sum + o.size, 0),
    /** Decoded bytes of every object together; null when an object's decoded size is not known. */
    totalRawBytes: objects.some((o) => o.rawBytes === null) ? null : objects.reduce((sum, o) => sum + (o.rawBytes ?? 0), 0),
    keyId: p.keyId,
    legalHold: p.legalHold,
    lockedUntil: p.lockedUntil?.toISOString() ?? null,
    /** Set when retention deleted the primary object: the point is read from its OK copies only. */
    primaryDeletedAt: p.primaryDeletedAt?.toISOString() ?? null,
    /** When a verification last proved the point restorable (one object intact and decoded). */
    verifiedAt: p.verifiedAt?.toISOString() ?? null,
    /**
     * The last verification's error: with `verifiedAt` null the point failed verification; with it set, the primary
     * object failed while a copy kept the point restorable (then it is also in `damagedObjects`).
     */
    verifyError: p.verifyError,
    /** Stored objects (primary, OK copies) whose last verification failed: `summary` is a few words ("sha256 mismatch"). */
    damagedObjects,
    manifest: p.manifest,
    createdAt: p.createdAt.toISOString(),
    /**
     * Stored copies: the primary plus each extra copy; `ok` counts the primary (unless retention pruned it, see
     * `primaryPruned`) and the copies with status COPY_OK. Each extra copy carries its own last verification.
     */
    storedCopies: {
      total: 1 + copies.length,
      ok: (p.primaryDeletedAt === null ? 1 : 0) + copies.filter((c) => c.status === 'COPY_OK').length,
      primaryPruned: p.primaryDeletedAt !== null,
      extra: copies.map((c) => ({
        destinationName: c.destination.name,
        status: c.status,
        verifiedAt: c.verifiedAt?.toISOString() ?? null,
        verifyError: c.verifyError,
      })),
    },
  };
}
export type RecoveryPointDto = ReturnType<typeof toRecoveryPointDto>;
