import type { Tx } from '@/server/shared/db';
import { loadSloFacts, type SloFacts } from '@/server/slo/load-slo-facts';
import type { QueueState } from './definitions';
import { runsQueueCounts } from './queue-counts';

/** What one source's backup metrics are computed from (plain data; `render-metrics.ts` turns it into series). */
export interface SourceRunFacts {
  /** The source's engine (`Source.kind`): the `kind` label. */
  kind: string;
  /** The newest successful backup, by end time; null before the first. */
  lastBackup: { finishedAt: Date; durationSeconds: number; storedBytes: number | null } | null;
  /** When the newest failed backup ended; null when none failed. */
  lastFailureAt: Date | null;
  /** Finished runs in the catalog, by kind and outcome. */
  runs: { backupSucceeded: number; backupFailed: number; verifySucceeded: number; verifyFailed: number; restoreSucceeded: number; restoreFailed: number };
  /** Every slot of the source recorded MISSED. */
  missedSlots: number;
}

export interface MetricFacts {
  /** When the facts were read (the figures that depend on time are computed at render time). */
  loadedAt: Date;
  /** The SLO evidence, as `GET /api/v1/slo` computes from it. */
  slo: SloFacts;
  /** By source id. */
  sources: Map<string, SourceRunFacts>;
  /** Jobs in the runs queue by state; null when Redis did not answer. */
  queue: Record<QueueState, number> | null;
  copies: { pending: number; failed: number };
  storage: Array<{ destination: string; storageClass: string | null; bytes: number }>;
  /** The last audit chain check: true verified, false broken, null never checked. */
  auditChainOk: boolean | null;
}

interface LastBackupRow {
  sourceId: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date;
  storedBytes: bigint | null;
}

/**
 * Reads what `GET /metrics` exports, in a fixed number of queries whatever the number of sources (it runs every few
 * seconds per web process at most: see get-metrics.ts): the SLO evidence (`loadSloFacts`), per source the newest
 * successful and the newest failed backup as index probes on `Run(sourceId, kind, status, finishedAt)`, run and
 * missed-slot counts (`groupBy`, index-only on that index and on `ScheduledSlot(state, slotAt)`), copy counts,
 * stored bytes per destination, the last audit check and the queue's job counts.
 */
export async function loadMetricFacts(reader: Tx, now: Date): Promise<MetricFacts> {
  const slo = await loadSloFacts(reader, now);
  const ids = slo.sources.map((s) => s.sourceId);
  const [kinds, lastBackups, lastFailures, runCounts, missed, copies, storage, destinations, audit, queue] = await Promise.all([
    reader.source.findMany({ select: { id: true, kind: true } }),
    // The stored size is every object of the point (RecoveryPoint.sizeBytes is its first object's only).
    reader.$queryRaw<LastBackupRow[]>`
      SELECT s.id AS "sourceId", b.*
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT r."createdAt", r."startedAt", r."finishedAt",
          (SELECT COALESCE((SELECT SUM(o."sizeBytes") FROM "RecoveryPointObject" o WHERE o."recoveryPointId" = p.id), p."sizeBytes")
           FROM "RecoveryPoint" p WHERE p."runId" = r.id) AS "storedBytes"
        FROM "Run" r
        WHERE r."sourceId" = s.id AND r.kind = 'BACKUP' AND r.status = 'SUCCEEDED' AND r."finishedAt" IS NOT NULL
        ORDER BY r."finishedAt" DESC
        LIMIT 1
      ) b`,
    reader.$queryRaw<Array<{ sourceId: string; finishedAt: Date }>>`
      SELECT s.id AS "sourceId", f."finishedAt"
      FROM unnest(${ids}::uuid[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT r."finishedAt"
        FROM "Run" r
        WHERE r."sourceId" = s.id AND r.kind = 'BACKUP' AND r.status = 'FAILED' AND r."finishedAt" IS NOT NULL
        ORDER BY r."finishedAt" DESC
        LIMIT 1
      ) f`,
    reader.run.groupBy({ by: ['sourceId', 'kind', 'status'], where: { status: { in: ['SUCCEEDED', 'FAILED'] } }, _count: { _all: true } }),
    reader.scheduledSlot.groupBy({ by: ['sourceId'], where: { state: 'MISSED' }, _count: { _all: true } }),
    reader.recoveryPointCopy.groupBy({ by: ['status'], where: { status: { in: ['COPY_PENDING', 'COPY_FAILED'] } }, _count: { _all: true } }),
    // As GET /destinations counts `usedBytes`: a pruned primary's bytes are no longer there; each OK copy holds
    // every object of its point.
    reader.$queryRaw<Array<{ destinationId: string; storageClass: string | null; bytes: bigint }>>`
      SELECT x."destinationId", x."storageClass", SUM(x.bytes)::bigint AS bytes
      FROM (
        -- One row per object (a point recorded without object rows counts its own size once).
        SELECT p."destinationId", p."storageClass", COALESCE(o."sizeBytes", p."sizeBytes") AS bytes
        FROM "RecoveryPoint" p
        LEFT JOIN "RecoveryPointObject" o ON o."recoveryPointId" = p.id
        WHERE p."primaryDeletedAt" IS NULL
        UNION ALL
        SELECT c."destinationId", c."storageClass", COALESCE(o."sizeBytes", p."sizeBytes")
        FROM "RecoveryPointCopy" c
        JOIN "RecoveryPoint" p ON p.id = c."recoveryPointId"
        LEFT JOIN "RecoveryPointObject" o ON o."recoveryPointId" = p.id
        WHERE c.status = 'COPY_OK'
      ) x
      GROUP BY x."destinationId", x."storageClass"`,
    reader.destination.findMany({ select: { id: true, name: true } }),
    // The daily check (and an anchor on demand) leaves `audit.anchor` when the chain verified (whether or not every
    // destination took the head), `audit.verify-failed` or a refused `audit.anchor` when it did not. Few events
    // have this target type, so the (targetType, targetId) index finds them without reading the trail.
    reader.auditEvent.findFirst({
      where: { targetType: 'audit_chain', action: { in: ['audit.anchor', 'audit.verify-failed'] } },
      orderBy: { id: 'desc' },
      select: { action: true, result: true },
    }),
    runsQueueCounts(),
  ]);

  const kindBy = new Map(kinds.map((k) => [k.id, k.kind]));
  const backupBy = new Map(lastBackups.map((b) => [b.sourceId, b]));
  const failureBy = new Map(lastFailures.map((f) => [f.sourceId, f.finishedAt]));
  const missedBy = new Map(missed.map((m) => [m.sourceId, m._count._all]));
  const runsBy = new Map<string, SourceRunFacts['runs']>();
  for (const g of runCounts) {
    let runs = runsBy.get(g.sourceId);
    if (!runs) runsBy.set(g.sourceId, (runs = emptyRuns()));
    const n = g._count._all;
    const ok = g.status === 'SUCCEEDED';
    if (g.kind === 'BACKUP') runs[ok ? 'backupSucceeded' : 'backupFailed'] += n;
    else if (g.kind === 'VERIFY') runs[ok ? 'verifySucceeded' : 'verifyFailed'] += n;
    else if (g.kind === 'RESTORE') runs[ok ? 'restoreSucceeded' : 'restoreFailed'] += n;
  }

  const sources = new Map<string, SourceRunFacts>();
  for (const id of ids) {
    const b = backupBy.get(id);
    const started = b ? (b.startedAt ?? b.createdAt) : null;
    sources.set(id, {
      kind: kindBy.get(id) ?? '',
      lastBackup: b
        ? {
            finishedAt: b.finishedAt,
            // As the backup report measures it: from the run's start (or its creation, if it never recorded one).
            durationSeconds: Math.max(0, (b.finishedAt.getTime() - started!.getTime()) / 1000),
            storedBytes: b.storedBytes === null ? null : Number(b.storedBytes),
          }
        : null,
      lastFailureAt: failureBy.get(id) ?? null,
      runs: runsBy.get(id) ?? emptyRuns(),
      missedSlots: missedBy.get(id) ?? 0,
    });
  }

  const copyCount = (status: string) => copies.find((c) => c.status === status)?._count._all ?? 0;
  const nameOf = new Map(destinations.map((d) => [d.id, d.name]));
  const stored = new Set(storage.map((s) => s.destinationId));
  return {
    loadedAt: now,
    slo,
    sources,
    queue,
    copies: { pending: copyCount('COPY_PENDING'), failed: copyCount('COPY_FAILED') },
    storage: [
      ...storage.flatMap((s) => {
        const destination = nameOf.get(s.destinationId);
        return destination ? [{ destination, storageClass: s.storageClass, bytes: Number(s.bytes) }] : [];
      }),
      // An empty destination is 0, not absent: a panel or a rule sees it exists.
      ...destinations.filter((d) => !stored.has(d.id)).map((d) => ({ destination: d.name, storageClass: null, bytes: 0 })),
    ],
    auditChainOk: audit ? audit.action === 'audit.anchor' && audit.result !== 'refused' : null,
  };
}

function emptyRuns(): SourceRunFacts['runs'] {
  return { backupSucceeded: 0, backupFailed: 0, verifySucceeded: 0, verifyFailed: 0, restoreSucceeded: 0, restoreFailed: 0 };
}
