import type { Tx } from '@/server/shared/db';
import { BACKUP_DURATION_SAMPLES, RESTORE_THROUGHPUT_SAMPLES, restoreThroughput, type PointRecord, type RunRecord } from './evidence';
import type { InstallationFacts, SourceFacts } from './evaluate-source';
import { scheduleOutlook, type ScheduleOutlook } from './next-fire';
import type { ServiceFacts, TierFacts } from './compliance';

// Candidates per source, newest recorded first, for the point pickers to choose among by data time: a point that
// finished after a newer one started (two overlapping backups of one source) is rare, and three covers it.
const POINT_CANDIDATES = 3;
// "Missed slots in the last 24 hours": the dashboard's day.
const MISSED_WINDOW_MS = 24 * 3_600_000;

interface PointRow {
  sourceId: string;
  id: string;
  createdAt: Date;
  runStartedAt: Date | null;
  sizeBytes: bigint;
  verifiedAt: Date | null;
  verifyError: string | null;
}

interface RunRow {
  sourceId: string;
  id: string;
  kind: RunRecord['kind'];
  status: RunRecord['status'];
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface SloFacts {
  tiers: TierFacts[];
  services: ServiceFacts[];
  sources: SourceFacts[];
  installation: InstallationFacts;
}

/**
 * Loads what the SLO figures are computed from, for every source (or the given ones), in a fixed number of
 * queries whatever the number of sources: the sources with their policy and tier, candidate points, the newest
 * restore and last backups per source (index `Run(sourceId, kind, status, finishedAt)`), active backups, missed
 * slots, and the installation's restore throughput. Every per-source lookup is an index probe, never a scan of
 * all points or runs, because the metrics endpoint calls this every few seconds.
 */
export async function loadSloFacts(reader: Tx, now: Date, only?: { sourceIds: string[] }): Promise<SloFacts> {
  const [sourceRows, tiers, services] = await Promise.all([
    reader.source.findMany({
      where: only ? { id: { in: only.sourceIds } } : undefined,
      orderBy: { name: 'asc' },
      select: {
        id: true,
        name: true,
        serviceId: true,
        service: { select: { name: true, tierId: true, tier: { select: { rpoSeconds: true, rtoSeconds: true } } } },
        policy: { select: { id: true, name: true, paused: true, schedules: true } },
      },
    }),
    only ? Promise.resolve([]) : reader.tier.findMany({ orderBy: { rpoSeconds: 'asc' }, select: { id: true, name: true, rpoSeconds: true, rtoSeconds: true } }),
    only ? Promise.resolve([]) : reader.service.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, tierId: true } }),
  ]);
  const ids = sourceRows.map((s) => s.id);

  const [usable, verified, restores, backups, active, missed, samples] = await Promise.all([
    // The newest points that count (evidence.ts `pointCounts`: not failed verification, key not shredded).
    reader.$queryRaw<PointRow[]>`
      SELECT s.id AS "sourceId", p.*
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT p.id, p."createdAt", r."startedAt" AS "runStartedAt", COALESCE((SELECT SUM(o."sizeBytes") FROM "RecoveryPointObject" o WHERE o."recoveryPointId" = p.id), p."sizeBytes")::bigint AS "sizeBytes", p."verifiedAt", p."verifyError"
        FROM "RecoveryPoint" p
        JOIN "Run" r ON r.id = p."runId"
        LEFT JOIN "EncryptionKey" k ON k.id = p."keyId"
        WHERE p."sourceId" = s.id AND NOT (p."verifyError" IS NOT NULL AND p."verifiedAt" IS NULL) AND k."shreddedAt" IS NULL
        ORDER BY p."createdAt" DESC
        LIMIT ${POINT_CANDIDATES}
      ) p`,
    // The newest verified points (evidence.ts `newestVerifiedPoint`).
    reader.$queryRaw<PointRow[]>`
      SELECT s.id AS "sourceId", p.*
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT p.id, p."createdAt", r."startedAt" AS "runStartedAt", COALESCE((SELECT SUM(o."sizeBytes") FROM "RecoveryPointObject" o WHERE o."recoveryPointId" = p.id), p."sizeBytes")::bigint AS "sizeBytes", p."verifiedAt", p."verifyError"
        FROM "RecoveryPoint" p
        JOIN "Run" r ON r.id = p."runId"
        LEFT JOIN "EncryptionKey" k ON k.id = p."keyId"
        WHERE p."sourceId" = s.id AND p."verifiedAt" IS NOT NULL AND k."shreddedAt" IS NULL
        ORDER BY p."createdAt" DESC
        LIMIT ${POINT_CANDIDATES}
      ) p`,
    // The newest successful restore per source.
    reader.$queryRaw<RunRow[]>`
      SELECT s.id AS "sourceId", r.*
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT r.id, r.kind, r.status, r."createdAt", r."startedAt", r."finishedAt"
        FROM "Run" r
        WHERE r."sourceId" = s.id AND r.kind = 'RESTORE' AND r.status = 'SUCCEEDED' AND r."finishedAt" IS NOT NULL
        ORDER BY r."finishedAt" DESC
        LIMIT 1
      ) r`,
    // The last successful backups per source, for the median duration.
    reader.$queryRaw<RunRow[]>`
      SELECT s.id AS "sourceId", r.*
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT r.id, r.kind, r.status, r."createdAt", r."startedAt", r."finishedAt"
        FROM "Run" r
        WHERE r."sourceId" = s.id AND r.kind = 'BACKUP' AND r.status = 'SUCCEEDED' AND r."finishedAt" IS NOT NULL
        ORDER BY r."finishedAt" DESC
        LIMIT ${BACKUP_DURATION_SAMPLES}
      ) r`,
    // Backups queued or running now (few: index on status).
    reader.run.findMany({
      where: { kind: 'BACKUP', status: { in: ['QUEUED', 'RUNNING'] }, sourceId: only ? { in: ids } : undefined },
      select: { id: true, sourceId: true, kind: true, status: true, createdAt: true, startedAt: true, finishedAt: true },
    }),
    reader.scheduledSlot.groupBy({
      by: ['sourceId'],
      where: { state: 'MISSED', slotAt: { gte: new Date(now.getTime() - MISSED_WINDOW_MS), lte: now }, sourceId: only ? { in: ids } : undefined },
      _count: { _all: true },
    }),
    // The installation's newest successful restores, of any source, with the stored size each read.
    reader.$queryRaw<Array<{ sizeBytes: bigint; createdAt: Date; finishedAt: Date }>>`
      SELECT x."sizeBytes", x."createdAt", x."finishedAt"
      FROM "Source" s
      CROSS JOIN LATERAL (
        SELECT p."sizeBytes", r."createdAt", r."finishedAt"
        FROM "Run" r
        JOIN "RecoveryPoint" p ON p.id = r."inputPointId"
        WHERE r."sourceId" = s.id AND r.kind = 'RESTORE' AND r.status = 'SUCCEEDED' AND r."finishedAt" IS NOT NULL
        ORDER BY r."finishedAt" DESC
        LIMIT ${RESTORE_THROUGHPUT_SAMPLES}
      ) x
      ORDER BY x."finishedAt" DESC
      LIMIT ${RESTORE_THROUGHPUT_SAMPLES}`,
  ]);

  // Points only for the sources with no usable candidate: to say "failed verification" rather than "none yet".
  const hasUsable = new Set(usable.map((p) => p.sourceId));
  const withoutUsable = ids.filter((id) => !hasUsable.has(id));
  const counts = withoutUsable.length
    ? await reader.recoveryPoint.groupBy({ by: ['sourceId'], where: { sourceId: { in: withoutUsable } }, _count: { _all: true } })
    : [];

  const pointsBy = groupRows([...usable, ...verified].map(toPointRecord));
  const runsBy = groupRows([...restores, ...backups, ...active].map(toRunRecord));
  const missedBy = new Map(missed.map((m) => [m.sourceId, m._count._all]));
  const countBy = new Map(counts.map((c) => [c.sourceId, c._count._all]));
  // Sources share policies: each policy's schedules are read once.
  const outlooks = new Map<string, ScheduleOutlook>();
  const noSchedule: ScheduleOutlook = { backupSchedules: 0, nextBackupAt: null, nextRunAt: null };

  const sources: SourceFacts[] = sourceRows.map((s) => {
    let outlook = noSchedule;
    if (s.policy) {
      outlook = outlooks.get(s.policy.id) ?? scheduleOutlook(s.policy.schedules, now);
      outlooks.set(s.policy.id, outlook);
    }
    const points = pointsBy.get(s.id) ?? [];
    return {
      sourceId: s.id,
      name: s.name,
      serviceId: s.serviceId,
      serviceName: s.service?.name ?? null,
      tierId: s.service?.tierId ?? null,
      targets: s.service?.tier ? { rpoSeconds: s.service.tier.rpoSeconds, rtoSeconds: s.service.tier.rtoSeconds } : null,
      policy: s.policy ? { name: s.policy.name, paused: s.policy.paused } : null,
      outlook,
      points,
      runs: runsBy.get(s.id) ?? [],
      pointCount: countBy.get(s.id) ?? points.length,
      missedSlots24h: missedBy.get(s.id) ?? 0,
    };
  });

  return {
    tiers,
    services,
    sources,
    installation: {
      restoreBytesPerSecond: restoreThroughput(samples.map((r) => ({ sizeBytes: Number(r.sizeBytes), createdAt: r.createdAt, finishedAt: r.finishedAt }))),
    },
  };
}

function toPointRecord(row: PointRow): PointRecord & { sourceId: string } {
  return {
    sourceId: row.sourceId,
    id: row.id,
    createdAt: row.createdAt,
    runStartedAt: row.runStartedAt,
    sizeBytes: Number(row.sizeBytes),
    verifiedAt: row.verifiedAt,
    verifyError: row.verifyError,
    keyShredded: false, // shredded keys were filtered out by the queries
  };
}

function toRunRecord(row: RunRow): RunRecord & { sourceId: string } {
  return { sourceId: row.sourceId, id: row.id, kind: row.kind, status: row.status, createdAt: row.createdAt, startedAt: row.startedAt, finishedAt: row.finishedAt };
}

/** By source, without duplicates (a point can be both the newest usable and the newest verified). */
function groupRows<T extends { sourceId: string; id: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, Map<string, T>>();
  for (const row of rows) {
    let group = groups.get(row.sourceId);
    if (!group) groups.set(row.sourceId, (group = new Map()));
    group.set(row.id, row);
  }
  return new Map([...groups].map(([k, v]) => [k, [...v.values()]]));
}
