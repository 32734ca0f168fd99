// Pure derivations for the overview (tested in derive.test.ts): no React, no fetching.
import type { BackupReportRow, SloSource, SloStatus } from '@/components/api/types';

export interface OutcomeCounts {
  succeeded: number;
  failed: number;
}

/** Succeeded / (succeeded + failed), 0..1; null when nothing finished (no evidence is not 100 %). */
export function successRate(c: OutcomeCounts | null | undefined): number | null {
  if (!c) return null;
  const total = c.succeeded + c.failed;
  return total === 0 ? null : c.succeeded / total;
}

export interface RpoSample {
  /** Epoch ms: the moment the RPO was measured. */
  t: number;
  seconds: number;
}

/**
 * Achieved RPO over time, per source, from its successful backups (points). The RPO is largest just before a new
 * point replaces the previous one: at the moment point i is complete (`finishedAt`), the newest usable data was point
 * i−1's data time, so that sample is finishedAt(i) − at(i−1). The last sample is now − at(newest): the RPO today.
 * Points whose verification failed do not count (the SLO rules): their gap stretches to the next good point.
 */
export function rpoSeries(rows: BackupReportRow[], now: number): Map<string, { name: string; samples: RpoSample[] }> {
  const bySource = new Map<string, BackupReportRow[]>();
  for (const r of rows) {
    if (r.verifyFailed || r.pointId === null) continue;
    const list = bySource.get(r.sourceId) ?? [];
    list.push(r);
    bySource.set(r.sourceId, list);
  }
  const out = new Map<string, { name: string; samples: RpoSample[] }>();
  for (const [sourceId, list] of bySource) {
    list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const samples: RpoSample[] = [];
    list.forEach((point, i) => {
      const previous = list[i - 1];
      if (!previous) return;
      const t = Date.parse(point.finishedAt);
      samples.push({ t, seconds: Math.max(0, (t - Date.parse(previous.at)) / 1000) });
    });
    const last = list[list.length - 1];
    if (!last) continue;
    samples.push({ t: now, seconds: Math.max(0, (now - Date.parse(last.at)) / 1000) });
    out.set(sourceId, { name: last.name, samples });
  }
  return out;
}

/** The newest successful backup of each source in the report (its data time, size and run). */
export function lastBackupBySource(rows: BackupReportRow[]): Map<string, BackupReportRow> {
  const out = new Map<string, BackupReportRow>();
  for (const r of rows) {
    const prev = out.get(r.sourceId);
    if (!prev || Date.parse(r.at) > Date.parse(prev.at)) out.set(r.sourceId, r);
  }
  return out;
}

// Worst first: what needs a person now, then what will, then what nobody can judge yet.
const SEVERITY: Record<SloStatus, number> = { BREACHED: 0, AT_RISK: 1, UNPROTECTED: 2, UNKNOWN: 3, OK: 4 };

/** Sources not within target, worst first, then by name. */
export function outOfTarget(sources: SloSource[]): SloSource[] {
  return sources.filter((s) => s.status !== 'OK').sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || a.name.localeCompare(b.name));
}

/** The next scheduled runs, soonest first (sources without a schedule have no `nextRunAt`). */
export function nextRuns(sources: SloSource[], limit = 8): SloSource[] {
  return sources
    .filter((s): s is SloSource & { nextRunAt: string } => s.nextRunAt !== null)
    .sort((a, b) => Date.parse(a.nextRunAt) - Date.parse(b.nextRunAt))
    .slice(0, limit);
}

/** The next step for a source the SLO cannot judge or does not protect, from its reasons and figures. */
export function nextStep(s: SloSource): string | null {
  const words = s.reasons.join(' ').toLowerCase();
  if (s.status === 'UNPROTECTED') {
    if (words.includes('paused')) return 'Policy paused: resume it on the Policies page';
    if (words.includes('no policy')) return 'No policy: give the source a policy';
    return 'No schedule: add one to the policy';
  }
  if (s.tierId === null) return 'No tier: put the source in a service';
  if (s.rpo.achievedSeconds === null) return 'No backup yet: run one or wait for the schedule';
  if (s.rto.achievedSeconds === null) return 'No restore yet: restore a point to measure the RTO';
  return null;
}

/** "tier-1-critical: 3 of 4 sources within target". */
export function complianceWords(t: { name: string; sources: number; compliant: number }): string {
  if (t.sources === 0) return `${t.name}: no sources yet`;
  return `${t.name}: ${t.compliant} of ${t.sources} source${t.sources === 1 ? '' : 's'} within target`;
}

/** The sources list's search (name or kind, any case) and page `page` (0-based, clamped) of `size` rows. */
export function searchAndPage<T extends { name: string; kind: string }>(items: T[], search: string, page: number, size: number) {
  const needle = search.trim().toLowerCase();
  const matches = needle ? items.filter((s) => s.name.toLowerCase().includes(needle) || s.kind.toLowerCase().includes(needle)) : items;
  const pages = Math.max(1, Math.ceil(matches.length / size));
  const current = Math.min(Math.max(0, page), pages - 1);
  return { matches: matches.length, pages, current, rows: matches.slice(current * size, (current + 1) * size) };
}
