import { authorize } from '@/server/auth/permissions';
import { SourceId } from '@/server/inventory/get-source';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { faultWords } from './object-fault';
import { objectLabel } from './readable-objects';

/** One stored copy of a recovery point, as far as protection is concerned. */
export interface StoredCopyFacts {
  destinationId: string;
  destinationName: string;
  kind: string;
  offsite: boolean;
  immutable: boolean;
  ok: boolean;
  primary: boolean;
  /** The primary object was deleted by retention (`primaryDeletedAt`): it no longer counts. */
  pruned?: boolean;
  /** How this object failed its last verification ("sha256 mismatch"); absent while its last check passed. */
  damaged?: string;
}

export interface PointFacts {
  id: string;
  createdAt: Date;
  lockedUntil: Date | null;
  verifiedAt: Date | null;
  verifyError: string | null;
  stored: StoredCopyFacts[];
}

export interface ProtectionStatus {
  sourceId: string;
  recoveryPointId: string | null;
  pointCreatedAt: string | null;
  /** Production data plus every stored copy that is OK (the primary counts as OK unless retention pruned it). */
  copies: number;
  /** Distinct destination kinds (local, s3 …) among OK stored copies. */
  media: number;
  offsite: boolean;
  immutable: boolean;
  zeroErrors: boolean;
  storedCopies: {
    destinationId: string;
    destinationName: string;
    kind: string;
    /** PRUNED: the primary object was deleted by retention while copies keep the point. */
    status: 'OK' | 'NOT_OK' | 'PRUNED';
    /** How the object failed its last verification ("sha256 mismatch"); null while its last check passed. */
    damaged: string | null;
    primary: boolean;
    offsite: boolean;
    immutable: boolean;
  }[];
  rule321110: {
    three: boolean;
    two: boolean;
    one: boolean;
    oneImmutable: boolean;
    zero: boolean;
    ok: boolean;
    /** A human-readable reason per unmet part. */
    reasons: string[];
  };
}

/** The 3-2-1-1-0 rule for one recovery point (pure; `now` decides whether a lock still holds). */
export function computeProtection(sourceId: string, point: PointFacts | null, now = new Date()): ProtectionStatus {
  const okStored = point ? point.stored.filter((s) => s.ok) : [];
  const copies = point ? 1 + okStored.length : 1;
  const media = new Set(okStored.map((s) => s.kind)).size;
  const offsite = okStored.some((s) => s.offsite);
  const locked = point?.lockedUntil ? point.lockedUntil.getTime() > now.getTime() : false;
  const immutable = okStored.some((s) => s.immutable) || locked;
  // "0 errors" needs the point proved restorable AND no object that exists failing its last check: a copy that
  // kept the point restorable does not make a damaged primary (or a damaged copy) an error-free state.
  const damaged = point ? point.stored.filter((s) => s.damaged !== undefined && !s.pruned && (s.ok || s.primary)) : [];
  const zeroErrors = point !== null && point.verifiedAt !== null && point.verifyError === null && damaged.length === 0;
  const reasons: string[] = [];
  if (!point) reasons.push('no recovery point yet');
  if (copies < 3) reasons.push(`${copies} of 3 copies (production data plus ${okStored.length} stored): add a copy destination to the policy`);
  if (media < 2) reasons.push(`${media} of 2 kinds of media among stored copies: copy to a different destination kind`);
  if (!offsite) reasons.push('no OK copy on an offsite destination');
  if (!immutable) reasons.push('no OK copy on an immutable destination and no retention lock on the point');
  if (!point || point.verifiedAt === null || (point.verifyError !== null && damaged.length === 0)) {
    // Never proved restorable, or an error without a recorded object fault (a point-level failure).
    if (!zeroErrors) reasons.push(point?.verifyError ? `the newest point failed verification: ${point.verifyError}` : 'the newest point has not been verified');
  } else {
    for (const s of damaged) reasons.push(`${objectLabel(s.primary ? 'primary' : 'copy', s.destinationName)}: ${s.damaged} at the last verification`);
  }
  const rule = { three: copies >= 3, two: media >= 2, one: offsite, oneImmutable: immutable, zero: zeroErrors };
  return {
    sourceId,
    recoveryPointId: point?.id ?? null,
    pointCreatedAt: point?.createdAt.toISOString() ?? null,
    copies,
    media,
    offsite,
    immutable,
    zeroErrors,
    storedCopies: (point?.stored ?? []).map((s) => ({
      destinationId: s.destinationId,
      destinationName: s.destinationName,
      kind: s.kind,
      status: s.pruned ? 'PRUNED' : s.ok ? 'OK' : 'NOT_OK',
      primary: s.primary,
      offsite: s.offsite,
      immutable: s.immutable,
      damaged: s.damaged ?? null,
    })),
    rule321110: { ...rule, ok: Object.values(rule).every(Boolean), reasons },
  };
}

const destinationFields = { id: true, name: true, kind: true, offsite: true, immutable: true } as const;

/** How well the source's newest recovery point is protected, by the 3-2-1-1-0 rule. */
export async function protectionStatus(ctx: VerbContext, rawSourceId: unknown, now = new Date()): Promise<ProtectionStatus> {
  authorize(ctx.actor, 'inventory:read');
  const reader = readerOf(ctx);
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  const source = await reader.source.findUnique({ where: { id: id.data }, select: { id: true } });
  if (!source) throw notFound('source', id.data);
  const point = await reader.recoveryPoint.findFirst({
    where: { sourceId: id.data },
    orderBy: { createdAt: 'desc' },
    select: {
      id: true,
      createdAt: true,
      lockedUntil: true,
      primaryDeletedAt: true,
      verifiedAt: true,
      verifyError: true,
      verifyFault: true,
      destination: { select: destinationFields },
      copies: { select: { status: true, verifyError: true, verifyFault: true, destination: { select: destinationFields } }, orderBy: { position: 'asc' } },
    },
  });
  if (!point) return computeProtection(id.data, null, now);
  const fact = (
    d: { id: string; name: string; kind: string; offsite: boolean; immutable: boolean },
    ok: boolean,
    primary: boolean,
    damaged: string | undefined,
  ): StoredCopyFacts => ({
    destinationId: d.id,
    destinationName: d.name,
    kind: d.kind,
    offsite: d.offsite,
    immutable: d.immutable,
    ok,
    primary,
    ...(damaged !== undefined ? { damaged } : {}),
  });
  return computeProtection(
    id.data,
    {
      ...point,
      // Only objects that exist count: a primary pruned by retention is listed, but not as OK.
      stored: [
        {
          // The primary's own fault, not a point-level error (that one leaves verifiedAt null and is reported as such).
          ...fact(point.destination, point.primaryDeletedAt === null, true, point.verifyFault === null ? undefined : faultWords(point.verifyFault)),
          pruned: point.primaryDeletedAt !== null,
        },
        ...point.copies.map((c) => fact(c.destination, c.status === 'COPY_OK', false, c.verifyError === null ? undefined : faultWords(c.verifyFault))),
      ],
    },
    now,
  );
}
