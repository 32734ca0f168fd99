import { storedSchedules, type StoredSchedule } from '@/server/policies/schedules';
import { db, type Tx } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';

/** A source whose policy has schedules, with what the scheduler needs to fire, reconcile and catch up. */
export interface ScheduledSource {
  sourceId: string;
  sourceName: string;
  sourceUpdatedAt: Date;
  policyId: string;
  policyUpdatedAt: Date;
  paused: boolean;
  destinationId: string;
  maxConcurrentPerDestination: number | null;
  /** The RPO target of the source's service's tier; null when the source has no service or the service no tier. */
  rpoSeconds: number | null;
  schedules: StoredSchedule[];
}

const SELECT = {
  id: true,
  name: true,
  updatedAt: true,
  service: { select: { tier: { select: { rpoSeconds: true } } } },
  policy: { select: { id: true, updatedAt: true, paused: true, destinationId: true, maxConcurrentPerDestination: true, schedules: true } },
} as const;

type Row = { id: string; name: string; updatedAt: Date; service: { tier: { rpoSeconds: number } | null } | null; policy: { id: string; updatedAt: Date; paused: boolean; destinationId: string; maxConcurrentPerDestination: number | null; schedules: unknown } | null };

function toScheduled(row: Row): ScheduledSource | null {
  if (!row.policy) return null;
  // Read leniently (the policy verbs validated them on write): an unreadable entry is dropped, the others still fire.
  const schedules = storedSchedules(row.policy.schedules);
  if (Array.isArray(row.policy.schedules) && schedules.length < row.policy.schedules.length) {
    logger.error({ policyId: row.policy.id }, 'scheduler: some stored schedules are unreadable; they fire nothing');
  }
  if (schedules.length === 0) return null;
  return {
    sourceId: row.id,
    sourceName: row.name,
    sourceUpdatedAt: row.updatedAt,
    policyId: row.policy.id,
    policyUpdatedAt: row.policy.updatedAt,
    paused: row.policy.paused,
    destinationId: row.policy.destinationId,
    maxConcurrentPerDestination: row.policy.maxConcurrentPerDestination,
    rpoSeconds: row.service?.tier?.rpoSeconds ?? null,
    schedules,
  };
}

/** Every source whose policy has at least one schedule (paused ones included: their slots are recorded SKIPPED). */
export async function loadScheduledSources(tx: Tx = db()): Promise<ScheduledSource[]> {
  // Policies with an empty list are filtered here, not in SQL: Json equality on '[]' is engine-specific in Prisma.
  const rows = await tx.source.findMany({ where: { policyId: { not: null } }, select: SELECT, orderBy: { createdAt: 'asc' } });
  return rows.map((r) => toScheduled(r as Row)).filter((s): s is ScheduledSource => s !== null);
}

/** One source's schedules as the scheduler sees them (null: gone, no policy, or no schedules). */
export async function loadScheduledSource(sourceId: string, tx: Tx = db()): Promise<ScheduledSource | null> {
  const row = await tx.source.findUnique({ where: { id: sourceId }, select: SELECT });
  return row ? toScheduled(row as Row) : null;
}

/** The scheduled sources among `ids`, by id (a batch of fires reads its sources in one query). */
export async function loadScheduledSourcesByIds(ids: readonly string[], tx: Tx = db()): Promise<Map<string, ScheduledSource>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.source.findMany({ where: { id: { in: [...ids] } }, select: SELECT });
  const found = new Map<string, ScheduledSource>();
  for (const row of rows) {
    const s = toScheduled(row as Row);
    if (s) found.set(s.sourceId, s);
  }
  return found;
}
