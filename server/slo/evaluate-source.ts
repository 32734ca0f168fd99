import {
  activeBackup,
  dataTimeOf,
  medianBackupSeconds,
  newestSuccessfulRestore,
  newestUsablePoint,
  newestVerifiedPoint,
  runSeconds,
  type PointRecord,
  type RunRecord,
} from './evidence';
import type { ScheduleOutlook } from './next-fire';
import { formatBytes, formatMoment, formatRate, formatSeconds } from './wording';

export const SLO_STATUSES = ['OK', 'AT_RISK', 'BREACHED', 'UNKNOWN', 'UNPROTECTED'] as const;
export type SloStatus = (typeof SLO_STATUSES)[number];

/** Everything known about one source that its SLO figures are computed from (plain data). */
export interface SourceFacts {
  sourceId: string;
  name: string;
  serviceId: string | null;
  serviceName?: string | null;
  tierId: string | null;
  /** The tier's targets; null when the source has no service or its service no tier. */
  targets: { rpoSeconds: number; rtoSeconds: number } | null;
  policy: { name: string; paused: boolean } | null;
  /** What the policy's schedules will do next (next-fire.ts); ignored without a policy. */
  outlook: ScheduleOutlook;
  /** The source's recovery points (or just the candidates: the newest usable and the newest verified). */
  points: PointRecord[];
  /** The source's runs (or just the candidates: newest restore, last backups, active backups). */
  runs: RunRecord[];
  /** How many recovery points the source has in all (when `points` holds only the candidates). */
  pointCount?: number;
  missedSlots24h: number;
}

/** What this installation has measured across sources. */
export interface InstallationFacts {
  /** Stored bytes per second over recent successful restores (evidence.ts `restoreThroughput`); null with none. */
  restoreBytesPerSecond: number | null;
}

/** The `GET /api/v1/slo` source object (also `slo` on `GET /api/v1/sources/{id}`): field names are a contract. */
export interface SourceSlo {
  sourceId: string;
  name: string;
  serviceId: string | null;
  tierId: string | null;
  status: SloStatus;
  reasons: string[];
  rpo: {
    targetSeconds: number | null;
    achievedSeconds: number | null;
    verifiedAchievedSeconds: number | null;
    pointId: string | null;
    /** The data time of that point (its backup's start), ISO 8601. */
    pointAt: string | null;
  };
  rto: {
    targetSeconds: number | null;
    /** Seconds the newest successful restore took (request → end); null when the source was never restored. */
    achievedSeconds: number | null;
    /** True when `estimatedSeconds` stands in for a restore that never happened. */
    estimated: boolean;
    /** Newest point's stored size ÷ the installation's restore throughput; null unless `estimated`. */
    estimatedSeconds: number | null;
    runId: string | null;
  };
  missedSlots24h: number;
  nextRunAt: string | null;
}

const secondsSince = (at: Date, now: Date) => Math.max(0, Math.ceil((now.getTime() - at.getTime()) / 1000));

/** Whether a source's figures count towards its service's and tier's compliance: within both targets, by evidence. */
export function isCompliant(slo: Pick<SourceSlo, 'status'>): boolean {
  // AT_RISK is still within both targets now; UNKNOWN lacks the evidence to say so.
  return slo.status === 'OK' || slo.status === 'AT_RISK';
}

/**
 * The SLO figures of one source at `now`, from evidence only: recovery points for the RPO, timed restores for the
 * RTO, the schedule and the last backup durations for the forecast. Pure.
 */
export function evaluateSource(facts: SourceFacts, installation: InstallationFacts, now: Date): SourceSlo {
  const reasons: string[] = [];
  const { targets, policy, outlook } = facts;

  // Protection: is anything going to make the next point?
  if (!policy) reasons.push('no policy: nothing backs this source up on a schedule');
  else if (policy.paused) reasons.push(`policy ${policy.name} is paused`);
  else if (outlook.backupSchedules === 0) reasons.push(`no backup schedule on policy ${policy.name}`);
  else if (!outlook.nextBackupAt) reasons.push(`no backup schedule on policy ${policy.name} fires again`);
  const unprotected = reasons.length > 0;

  if (!targets) reasons.push(facts.serviceId ? `no tier on service ${facts.serviceName ?? facts.serviceId}: no RPO/RTO targets` : 'no service, so no tier: no RPO/RTO targets');

  // RPO: the newest point that counts.
  const point = newestUsablePoint(facts.points);
  const verified = newestVerifiedPoint(facts.points);
  const pointAt = point ? dataTimeOf(point) : null;
  const rpoAchieved = pointAt ? secondsSince(pointAt, now) : null;
  if (!point) {
    const failed = facts.pointCount ?? facts.points.length;
    reasons.push(failed > 0 ? `no usable recovery point: ${failed === 1 ? 'its only point' : `all ${failed} points`} failed verification` : 'no recovery point yet');
  }

  // RTO: the newest successful restore; else an estimate from the newest point's size.
  const restore = newestSuccessfulRestore(facts.runs);
  const rtoAchieved = restore ? runSeconds(restore) : null;
  let estimatedSeconds: number | null = null;
  if (!restore) {
    const rate = installation.restoreBytesPerSecond;
    if (point && rate) {
      estimatedSeconds = Math.ceil(point.sizeBytes / rate);
      reasons.push(
        `no restore yet: RTO estimated from ${formatBytes(point.sizeBytes)} at ${formatRate(rate)} (about ${formatSeconds(estimatedSeconds)})`,
      );
    } else if (point) {
      reasons.push('no restore yet, and none on this installation to estimate the RTO from');
    } else {
      reasons.push('no restore yet');
    }
  }

  let rpoBreached = false;
  let rtoBreached = false;
  let atRisk = false;
  if (targets) {
    if (rpoAchieved !== null && rpoAchieved > targets.rpoSeconds) {
      rpoBreached = true;
      reasons.push(`RPO ${formatSeconds(rpoAchieved)} exceeds the target ${formatSeconds(targets.rpoSeconds)}`);
    }
    if (rtoAchieved !== null && rtoAchieved > targets.rtoSeconds) {
      rtoBreached = true;
      reasons.push(`RTO ${formatSeconds(rtoAchieved)} (the last restore) exceeds the target ${formatSeconds(targets.rtoSeconds)}`);
    }
    if (estimatedSeconds !== null && estimatedSeconds > targets.rtoSeconds) {
      reasons.push(`the estimated RTO ${formatSeconds(estimatedSeconds)} exceeds the target ${formatSeconds(targets.rtoSeconds)}`);
    }
    if (!unprotected && pointAt && !rpoBreached && outlook.nextBackupAt) {
      const risk = rpoForecast(pointAt, targets.rpoSeconds, outlook.nextBackupAt, facts.runs);
      if (risk) {
        atRisk = true;
        reasons.push(risk);
      }
    }
  }

  let status: SloStatus;
  if (unprotected) status = 'UNPROTECTED';
  else if (!point) status = 'UNKNOWN';
  else if (!targets) status = 'OK';
  else if (rpoBreached || rtoBreached) status = 'BREACHED';
  else if (atRisk) status = 'AT_RISK';
  else if (rtoAchieved === null) status = 'UNKNOWN';
  else status = 'OK';

  return {
    sourceId: facts.sourceId,
    name: facts.name,
    serviceId: facts.serviceId,
    tierId: facts.tierId,
    status,
    reasons,
    rpo: {
      targetSeconds: targets?.rpoSeconds ?? null,
      achievedSeconds: rpoAchieved,
      verifiedAchievedSeconds: verified ? secondsSince(dataTimeOf(verified), now) : null,
      pointId: point?.id ?? null,
      pointAt: pointAt?.toISOString() ?? null,
    },
    rto: {
      targetSeconds: targets?.rtoSeconds ?? null,
      achievedSeconds: rtoAchieved,
      estimated: estimatedSeconds !== null,
      estimatedSeconds,
      runId: restore?.id ?? null,
    },
    missedSlots24h: facts.missedSlots24h,
    nextRunAt: !policy || policy.paused ? null : (outlook.nextRunAt?.toISOString() ?? null),
  };
}

/**
 * AT_RISK: the RPO target runs out before the next backup can land. The next point lands at the next backup fire
 * (or the start of one running now, if that is sooner) plus the median of the last backup durations; if that is
 * after the point's data time + the target, the target will be breached first. Returns the reason, or null.
 */
function rpoForecast(pointAt: Date, rpoSeconds: number, nextBackupAt: Date, runs: RunRecord[]): string | null {
  const typical = medianBackupSeconds(runs) ?? 0;
  const deadline = new Date(pointAt.getTime() + rpoSeconds * 1000);
  const running = activeBackup(runs);
  const runningLands = running ? new Date((running.startedAt ?? running.createdAt).getTime() + typical * 1000) : null;
  const nextLands = new Date(nextBackupAt.getTime() + typical * 1000);
  const lands = runningLands && runningLands < nextLands ? runningLands : nextLands;
  if (lands <= deadline) return null;
  const how = typical > 0 ? `, about ${formatSeconds(typical)} after it starts` : '';
  const when = runningLands && lands === runningLands ? 'the backup running now' : `the next backup (${formatMoment(nextBackupAt)})`;
  return `RPO target runs out at ${formatMoment(deadline)}, before ${when} can finish${how}`;
}
