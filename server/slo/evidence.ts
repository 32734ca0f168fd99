/**
 * Picking the evidence each SLO figure rests on, from plain records (no Prisma): unit-tested over constructed
 * histories. The catalog loader (load-slo-facts.ts) narrows its queries with the same rules, so it hands these
 * functions only the candidate rows, and they decide.
 */

/** A recovery point as the SLO figures see it. */
export interface PointRecord {
  id: string;
  /** When the point was recorded (the backup's end); the data time falls back to it. */
  createdAt: Date;
  /** When its backup run started: the data in the point is that old. */
  runStartedAt: Date | null;
  /** Stored bytes (after compression and encryption): what a restore reads. */
  sizeBytes: number;
  verifiedAt: Date | null;
  verifyError: string | null;
  /** Encrypted to a key that was shredded: unreadable for good. */
  keyShredded?: boolean;
}

/** A run as the SLO figures see it (backups for durations, restores for the RTO). */
export interface RunRecord {
  id: string;
  kind: 'BACKUP' | 'RESTORE' | 'VERIFY';
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The moment a point's data is from: its backup run's start, else the point's own creation. */
export function dataTimeOf(point: Pick<PointRecord, 'createdAt' | 'runStartedAt'>): Date {
  return point.runStartedAt ?? point.createdAt;
}

/**
 * Whether a point counts for the RPO: every recovery point is a complete, checksummed artifact (a backup that did
 * not finish makes none), so it counts unless its last verification failed outright (`verifyError` with no
 * `verifiedAt`; with `verifiedAt` set, a copy was damaged but the point is restorable) or its key was shredded.
 */
export function pointCounts(point: PointRecord): boolean {
  const failedVerification = point.verifyError !== null && point.verifiedAt === null;
  return !failedVerification && !point.keyShredded;
}

function newestBy<T>(items: T[], time: (item: T) => number): T | null {
  let best: T | null = null;
  for (const item of items) if (best === null || time(item) > time(best)) best = item;
  return best;
}

/** The newest point (by data time) that counts: what the achieved RPO is measured from. */
export function newestUsablePoint(points: PointRecord[]): PointRecord | null {
  return newestBy(points.filter(pointCounts), (p) => dataTimeOf(p).getTime());
}

/** The newest point a verification proved restorable: what `verifiedAchievedSeconds` is measured from. */
export function newestVerifiedPoint(points: PointRecord[]): PointRecord | null {
  return newestBy(points.filter((p) => p.verifiedAt !== null && !p.keyShredded), (p) => dataTimeOf(p).getTime());
}

/** Seconds a run took from its request to its end: what a restore costs someone waiting for it. */
export function runSeconds(run: Pick<RunRecord, 'createdAt' | 'finishedAt'>): number | null {
  if (!run.finishedAt) return null;
  return Math.max(0, Math.ceil((run.finishedAt.getTime() - run.createdAt.getTime()) / 1000));
}

/** The newest successful restore of the source, whatever started it (a person, a restore test, a drill). */
export function newestSuccessfulRestore(runs: RunRecord[]): RunRecord | null {
  return newestBy(
    runs.filter((r) => r.kind === 'RESTORE' && r.status === 'SUCCEEDED' && r.finishedAt !== null),
    (r) => r.finishedAt!.getTime(),
  );
}

// The last five backups: enough that one slow run does not set the forecast, few enough to follow a source growing.
export const BACKUP_DURATION_SAMPLES = 5;

/** Median seconds from request to end of the source's last successful backups; null with none. */
export function medianBackupSeconds(runs: RunRecord[]): number | null {
  const recent = runs
    .filter((r) => r.kind === 'BACKUP' && r.status === 'SUCCEEDED' && r.finishedAt !== null)
    .sort((a, b) => b.finishedAt!.getTime() - a.finishedAt!.getTime())
    .slice(0, BACKUP_DURATION_SAMPLES)
    .map((r) => runSeconds(r)!);
  return median(recent);
}

/** The backup of the source running or waiting now: its point may land before the next scheduled one. */
export function activeBackup(runs: RunRecord[]): RunRecord | null {
  const active = runs.filter((r) => r.kind === 'BACKUP' && (r.status === 'QUEUED' || r.status === 'RUNNING'));
  // The earliest one: it lands first.
  let first: RunRecord | null = null;
  for (const r of active) if (!first || (r.startedAt ?? r.createdAt) < (first.startedAt ?? first.createdAt)) first = r;
  return first;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One successful restore, of any source: the stored bytes it read and how long it took. */
export interface RestoreSample {
  sizeBytes: number;
  createdAt: Date;
  finishedAt: Date;
}

// The last twenty restores of the installation: recent enough to reflect today's hardware and stores, enough that
// one restore of a tiny database does not set the rate for all.
export const RESTORE_THROUGHPUT_SAMPLES = 20;

/**
 * This installation's measured restore throughput in stored bytes per second (request to end, like the RTO):
 * total bytes over total time of the newest samples. Null without any restore that took time.
 */
export function restoreThroughput(samples: RestoreSample[]): number | null {
  const recent = [...samples]
    .sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())
    .slice(0, RESTORE_THROUGHPUT_SAMPLES);
  let bytes = 0;
  let ms = 0;
  for (const s of recent) {
    bytes += s.sizeBytes;
    ms += Math.max(0, s.finishedAt.getTime() - s.createdAt.getTime());
  }
  if (ms <= 0 || bytes <= 0) return null;
  return bytes / (ms / 1000);
}
