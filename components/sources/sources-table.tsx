'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useBackupReport, useEngines, useSlo, useSources } from '@/components/api/queries';
import type { SloSource } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { lastBackupBySource, searchAndPage } from '@/components/overview/derive';
import { Objective } from '@/components/overview/objective';
import { SloBadge } from '@/components/overview/slo-badge';
import css from '@/components/overview/overview.module.css';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge, formatBytes, formatDateTime } from '@/components/ui/format';
import { useNow } from '@/components/ui/use-now';

// Fifty rows: a screen or two of sources; more page below (GET /sources answers all of them at once).
const PAGE_SIZE = 50;
// Ages ("5 min ago") tick by the half minute.
const AGE_TICK_MS = 30_000;
const COLUMNS = 9;

export function SourcesPage() {
  const viewer = useViewer();
  const sources = useSources();
  const slo = useSlo();
  const report = useBackupReport(30);
  const now = useNow(true, AGE_TICK_MS);
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const sloById = useMemo(() => new Map<string, SloSource>((slo.data?.sources ?? []).map((s) => [s.sourceId, s])), [slo.data]);
  // Good backups only: a point whose verification failed is no recovery point to count on.
  const lastGood = useMemo(() => lastBackupBySource((report.data?.items ?? []).filter((r) => !r.verifyFailed && r.pointId !== null)), [report.data]);
  const all = sources.data ?? [];
  const needle = search.trim();
  const { matches, pages, current, rows } = searchAndPage(all, search, page, PAGE_SIZE);
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
        <div className={css.toolbar}>
          <input
            type="search"
            placeholder="Search sources"
            aria-label="Search sources"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(0);
            }}
          />
          {needle && (
            <span className="muted small" data-testid="sources-match-count">
              {matches} of {all.length}
            </span>
          )}
          {slo.error ? <span className="small danger-text">SLO figures unavailable: {slo.error.message}</span> : null}
        </div>
        <div className={css.scroll}>
          <table className={`table ${css.wide}`} aria-label="Sources">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Status</th>
                <th>Last good backup</th>
                <th className="num">RPO achieved / target</th>
                <th className="num">RTO achieved / target</th>
                <th>Next run</th>
                <th>Last run</th>
                <th className="num">Recovery points</th>
              </tr>
            </thead>
            <tbody>
              <TableStatus
                colSpan={COLUMNS}
                loading={sources.isPending}
                error={sources.error}
                empty={rows.length === 0 && (needle ? `No source matches “${needle}”.` : 'No sources yet. Add one to start backing up.')}
              />
              {rows.map((s) => {
                const o = sloById.get(s.id);
                const good = lastGood.get(s.id);
                const goodAt = o?.rpo.pointAt ?? good?.at ?? null;
                return (
                  <tr key={s.id} data-testid="source-row">
                    <td>
                      <Link href={`/sources/${s.id}`} className="strong-link">
                        {s.name}
                      </Link>
                    </td>
                    <td>
                      <KindLabel kind={s.kind} />
                    </td>
                    <td>{o ? <SloBadge status={o.status} testId="source-slo-status" /> : <span className="muted">—</span>}</td>
                    <td>
                      {goodAt ? (
                        <span title={formatDateTime(goodAt)}>
                          {formatAge(goodAt, now)}
                          {good && good.at === goodAt && <span className="muted small"> · {formatBytes(good.storedBytes)}</span>}
                        </span>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td className="num">{o ? <Objective achieved={o.rpo.achievedSeconds} target={o.rpo.targetSeconds} /> : <span className="muted">—</span>}</td>
                    <td className="num">
                      {o ? <Objective achieved={o.rto.achievedSeconds ?? o.rto.estimatedSeconds ?? null} target={o.rto.targetSeconds} estimated={o.rto.estimated} /> : <span className="muted">—</span>}
                    </td>
                    <td>{o?.nextRunAt ? <span title={formatDateTime(o.nextRunAt)}>{formatAge(o.nextRunAt, now)}</span> : <span className="muted">no schedule</span>}</td>
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
                );
              })}
            </tbody>
          </table>
        </div>
        {pages > 1 && (
          <nav className={css.pager} aria-label="Pages of sources">
            <span className="muted small">
              {current * PAGE_SIZE + 1}–{current * PAGE_SIZE + rows.length} of {matches}
            </span>
            <button type="button" className="btn btn-sm" disabled={current === 0} onClick={() => setPage(current - 1)}>
              Previous
            </button>
            <button type="button" className="btn btn-sm" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
              Next
            </button>
          </nav>
        )}
      </div>
    </>
  );
}

/** The engine's own label (`GET /engines`); the bare kind until that has loaded. */
export function KindLabel({ kind }: { kind: string }) {
  const engines = useEngines();
  return <span className="kind">{engines.data?.find((e) => e.kind === kind)?.label ?? kind}</span>;
}
