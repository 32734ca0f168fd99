import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { toDestinationDto } from './destination-dto';

/** What a destination holds, from one aggregate over its primary objects and its COPY_OK copies. */
interface Usage {
  destinationId: string;
  usedBytes: bigint;
  pointCount: number;
}

/**
 * Every destination with what it stores (`usedBytes`: the stored size of its points whose primary object is still
 * there plus its COPY_OK copies; `pointCount`: how many of those) and the policies writing to it, as primary or copy.
 */
export async function listDestinations(ctx: VerbContext) {
  authorize(ctx.actor, 'inventory:read');
  const reader = readerOf(ctx);
  const [rows, usage] = await Promise.all([
    reader.destination.findMany({
      orderBy: { name: 'asc' },
      include: {
        policies: { select: { id: true, name: true }, orderBy: { name: 'asc' } },
        policyCopies: { select: { policy: { select: { id: true, name: true } } }, orderBy: { policy: { name: 'asc' } } },
      },
    }),
    // A pruned primary (`primaryDeletedAt`) is read from its copies only: its bytes are no longer on the destination.
    // A point's size is the sum of its objects (one per database, per output file …); a point without object rows
    // is its own columns' one object.
    reader.$queryRaw<Usage[]>`
      SELECT "destinationId", SUM("sizeBytes")::bigint AS "usedBytes", COUNT(*)::int AS "pointCount"
      FROM (
        SELECT p."destinationId", COALESCE(o.total, p."sizeBytes") AS "sizeBytes" FROM "RecoveryPoint" p
        LEFT JOIN (SELECT "recoveryPointId", SUM("sizeBytes") AS total FROM "RecoveryPointObject" GROUP BY "recoveryPointId") o ON o."recoveryPointId" = p.id
        WHERE p."primaryDeletedAt" IS NULL
        UNION ALL
        SELECT c."destinationId", COALESCE(o.total, c."sizeBytes", 0) FROM "RecoveryPointCopy" c
        JOIN "RecoveryPoint" p ON p.id = c."recoveryPointId"
        LEFT JOIN (SELECT "recoveryPointId", SUM("sizeBytes") AS total FROM "RecoveryPointObject" GROUP BY "recoveryPointId") o ON o."recoveryPointId" = p.id
        WHERE c.status = 'COPY_OK'
      ) stored
      GROUP BY "destinationId"`,
  ]);
  const byDestination = new Map(usage.map((u) => [u.destinationId, u]));
  return rows.map(({ policies, policyCopies, ...d }) => {
    const used = byDestination.get(d.id);
    return {
      ...toDestinationDto(d),
      usedBytes: used ? Number(used.usedBytes) : 0,
      pointCount: used?.pointCount ?? 0,
      policies: [
        ...policies.map((p) => ({ id: p.id, name: p.name, role: 'primary' as const })),
        ...policyCopies.map((c) => ({ id: c.policy.id, name: c.policy.name, role: 'copy' as const })),
      ],
    };
  });
}

export type DestinationListItem = Awaited<ReturnType<typeof listDestinations>>[number];
