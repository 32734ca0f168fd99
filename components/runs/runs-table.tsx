'use client';

import Link from 'next/link';
import { isActive, type Run } from '@/components/api/types';
import { formatBytes, formatDateTime, runDuration } from '@/components/ui/format';
import { TableStatus } from '@/components/ui/query-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { useNow } from '@/components/ui/use-now';

export function RunsTable({
  runs,
  loading,
  error,
  showSource = true,
  label = 'Runs',
}: {
  runs: Run[] | undefined;
  loading: boolean;
  error: unknown;
  showSource?: boolean;
  label?: string;
}) {
  const rows = runs ?? [];
  const now = useNow(rows.some((r) => isActive(r.status)));
  const cols = showSource ? 7 : 6;
  return (
    <table className="table" aria-label={label}>
      <thead>
        <tr>
          <th>Status</th>
          <th>Kind</th>
          {showSource && <th>Source</th>}
          <th>Started</th>
          <th className="num">Duration</th>
          <th className="num">Bytes</th>
          <th className="actions-col">
            <span className="sr-only">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        <TableStatus colSpan={cols} loading={loading} error={error} empty={rows.length === 0 && 'No runs yet.'} />
        {rows.map((r) => (
          <tr key={r.id} data-testid="run-row" data-run-id={r.id}>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>
              <span className="kind">{r.kind.toLowerCase()}</span>
              {r.kind === 'RESTORE' && restoreTarget(r) && <span className="muted small"> → {restoreTarget(r)}</span>}
              <TriggerBadge trigger={r.trigger} />
            </td>
            {showSource && (
              <td>{r.sourceId ? <Link href={`/sources/${r.sourceId}`}>{r.sourceName ?? 'source'}</Link> : <span className="muted">—</span>}</td>
            )}
            <td>{r.startedAt ? formatDateTime(r.startedAt) : <span className="muted">queued {formatDateTime(r.createdAt)}</span>}</td>
            <td className="num">{runDuration(r, now)}</td>
            <td className="num">{r.bytesDone > 0 ? formatBytes(r.bytesDone) : <span className="muted">—</span>}</td>
            <td className="actions-col">
              <Link href={`/runs/${r.id}`} className="small" aria-label={`Open ${r.kind.toLowerCase()} run ${r.id}`}>
                Details →
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "scheduled" or "catch-up" next to a run the scheduler started; nothing for one a person or a client started. */
function TriggerBadge({ trigger }: { trigger: string | null | undefined }) {
  if (trigger !== 'schedule' && trigger !== 'catch-up') return null;
  return (
    <span className="badge badge-info badge-inline" data-testid="run-trigger" title={trigger === 'schedule' ? 'Started by its policy’s schedule' : 'Started at once after missed slots breached the RPO'}>
      {trigger === 'schedule' ? 'scheduled' : 'catch-up'}
    </span>
  );
}

/** The database a restore run writes to, from its params (`{ target: { database } }`). */
export function restoreTarget(run: Pick<Run, 'params'>): string | null {
  const target = (run.params as { target?: { database?: unknown } } | null)?.target;
  return typeof target?.database === 'string' ? target.database : null;
}
