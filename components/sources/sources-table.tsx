'use client';

import Link from 'next/link';
import { useEngines, useSources } from '@/components/api/queries';
import { useViewer } from '@/components/layout/viewer';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatDateTime } from '@/components/ui/format';

export function SourcesPage() {
  const viewer = useViewer();
  const sources = useSources();
  const rows = sources.data ?? [];
  return (
    <>
      <PageHeader
        title="Sources"
        subtitle="Databases Lifeboat backs up"
        actions={
          viewer.can.writeInventory && (
            <Link href="/sources/new" className="btn btn-primary">
              Add source
            </Link>
          )
        }
      />
      <div className="card">
        <table className="table" aria-label="Sources">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Last run</th>
              <th className="num">Recovery points</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={4} loading={sources.isPending} error={sources.error} empty={rows.length === 0 && 'No sources yet. Add one to start backing up.'} />
            {rows.map((s) => (
              <tr key={s.id} data-testid="source-row">
                <td>
                  <Link href={`/sources/${s.id}`} className="strong-link">
                    {s.name}
                  </Link>
                </td>
                <td>
                  <KindLabel kind={s.kind} />
                </td>
                <td>
                  {s.lastRun ? (
                    <Link href={`/runs/${s.lastRun.id}`} className="inline-flex">
                      <StatusBadge status={s.lastRun.status} />
                      <span className="muted small">
                        {s.lastRun.kind.toLowerCase()}
                        {s.lastRun.finishedAt ? ` · ${formatDateTime(s.lastRun.finishedAt)}` : ''}
                      </span>
                    </Link>
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                <td className="num">{s.recoveryPointCount ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** The engine's own label (`GET /engines`); the bare kind until that has loaded. */
export function KindLabel({ kind }: { kind: string }) {
  const engines = useEngines();
  return <span className="kind">{engines.data?.find((e) => e.kind === kind)?.label ?? kind}</span>;
}
