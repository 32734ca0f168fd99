import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { countOutcomes, type OutcomeCounts } from './outcome-counts';

export const GetBackupReportInput = z.object({
  // A month is what the overview charts; 90 days is the longest a chart of single backups stays readable.
  days: z.coerce.number().int().min(1).max(90).default(30),
});
export type GetBackupReportInput = z.infer<typeof GetBackupReportInput>;

// The newest 5,000 backups: a month of hourly backups for ~7 sources, and a bounded answer (~1 MB of JSON) however
// many sources there are; `truncated` says when older ones were left out.
const MAX_ROWS = 5_000;
const DAY_MS = 86_400_000;

/** One successful backup: when its data was taken, how long it took and what it stored. */
export interface BackupReportRow {
  runId: string;
  sourceId: string;
  name: string;
  /** The data time: when the backup run started (what the recovery point holds). */
  at: string;
  /** When the recovery point was complete (the run finished). */
  finishedAt: string;
  durationSeconds: number;
  storedBytes: number | null;
  pointId: string | null;
  /** The point's last verification failed: it does not count towards the achieved RPO. */
  verifyFailed: boolean;
}

export interface BackupReport {
  days: number;
  items: BackupReportRow[];
  truncated: boolean;
  /** Finished backup runs (succeeded / failed; cancelled ones are nobody's failure) over the last 24 h and 7 days. */
  outcomes: { last24h: OutcomeCounts; last7d: OutcomeCounts };
}

/**
 * The overview's backup history: successful backups of the last `days` (oldest first, for charts) and the backup
 * outcomes of the last 24 h and 7 days. Runs are the evidence here, not slots: a slot that started a run which
 * failed counts as a failure.
 */
export async function getBackupReport(ctx: VerbContext, raw: unknown, now = new Date()): Promise<BackupReport> {
  authorize(ctx.actor, 'run:read');
  const parsed = GetBackupReportInput.safeParse(raw);
  if (!parsed.success) {
    throw new DomainError('VALIDATION', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const { days } = parsed.data;
  const reader = readerOf(ctx);
  const since = new Date(now.getTime() - days * DAY_MS);
  const [runs, week, day] = await Promise.all([
    reader.run.findMany({
      where: { kind: 'BACKUP', status: 'SUCCEEDED', createdAt: { gte: since } },
      orderBy: { createdAt: 'desc' },
      take: MAX_ROWS + 1,
      select: {
        id: true,
        sourceId: true,
        createdAt: true,
        startedAt: true,
        finishedAt: true,
        source: { select: { name: true } },
        output: { select: { id: true, sizeBytes: true, verifiedAt: true, verifyError: true, objects: { select: { sizeBytes: true } } } },
      },
    }),
    outcomesSince(reader, new Date(now.getTime() - 7 * DAY_MS)),
    outcomesSince(reader, new Date(now.getTime() - DAY_MS)),
  ]);
  const truncated = runs.length > MAX_ROWS;
  const items = runs
    .slice(0, MAX_ROWS)
    .reverse()
    .map((r): BackupReportRow => {
      const at = r.startedAt ?? r.createdAt;
      const finishedAt = r.finishedAt ?? at;
      return {
        runId: r.id,
        sourceId: r.sourceId,
        name: r.source.name,
        at: at.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationSeconds: Math.max(0, (finishedAt.getTime() - at.getTime()) / 1000),
        // Every object of the point (one per database, per output file …); older rows hold one, in the point's columns.
        storedBytes: r.output ? (r.output.objects.length > 0 ? r.output.objects.reduce((sum, o) => sum + Number(o.sizeBytes), 0) : Number(r.output.sizeBytes)) : null,
        pointId: r.output?.id ?? null,
        verifyFailed: !!r.output && r.output.verifiedAt === null && r.output.verifyError !== null,
      };
    });
  return { days, items, truncated, outcomes: { last24h: day, last7d: week } };
}

async function outcomesSince(reader: ReturnType<typeof readerOf>, since: Date): Promise<OutcomeCounts> {
  const groups = await reader.run.groupBy({
    by: ['status'],
    where: { kind: 'BACKUP', finishedAt: { gte: since } },
    _count: { _all: true },
  });
  return countOutcomes(groups.map((g) => ({ status: g.status, count: g._count._all })));
}
