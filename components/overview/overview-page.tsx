'use client';

import Link from 'next/link';
import { useMemo } from 'react';
import { errorCode } from '@/components/api/client';
import { useBackupReport, useFailedRuns, useSlo } from '@/components/api/queries';
import type { BackupReport, RunWithTrigger, SloReport } from '@/components/api/types';
import { TimeSeriesChart, type Series } from '@/components/charts/time-series-chart';
import { ErrorAlert } from '@/components/ui/alert';
import { formatAge, formatBytes, formatDateTime, formatPercent, formatSeconds } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { StatusBadge } from '@/components/ui/status-badge';
import { useNow } from '@/components/ui/use-now';
import { complianceWords, lastBackupBySource, nextRuns, nextStep, outOfTarget, rpoSeries, successRate } from './derive';
import { Evidence, Objective } from './objective';
import { SloBadge } from './slo-badge';
import css from './overview.module.css';

// Ages ("5 min ago") tick by the half minute: finer would only redraw the page.
const AGE_TICK_MS = 30_000;
// A month: what the charts cover; the report endpoint takes up to 90 days.
const CHART_DAYS = 30;

export function OverviewPage() {
  const slo = useSlo();
  const report = useBackupReport(CHART_DAYS);
  const failed = useFailedRuns(20);
  const now = useNow(true, AGE_TICK_MS);
  return (
    <>
      <PageHeader title="Overview" subtitle="Recovery objectives achieved, from the evidence: recovery points, verifications and timed restores" />
      {slo.error ? (
        <ErrorAlert title={errorCode(slo.error) === 'NOT_FOUND' ? 'The SLO figures are not available on this server yet' : 'The SLO figures could not be loaded'} error={slo.error} testId="slo-error" />
      ) : null}
      <TierCards slo={slo.data} loading={slo.isPending && !slo.error} />
      <div className={css.columns}>
        <OutOfTarget slo={slo.data} loading={slo.isPending} error={slo.error} />
        <BackupRates report={report.data} loading={report.isPending} error={report.error} />
      </div>
      <div className={`${css.section} ${css.columns}`} style={{ marginTop: 16 }}>
        <NextRuns slo={slo.data} loading={slo.isPending} error={slo.error} now={now} />
        <FailedRuns runs={failed.data} loading={failed.isPending} error={failed.error} />
      </div>
      <SourcesSlo slo={slo.data} report={report.data} loading={slo.isPending} error={slo.error} now={now} />
      <Charts report={report.data} loading={report.isPending} error={report.error} now={now} />
    </>
  );
}

function TierCards({ slo, loading }: { slo: SloReport | undefined; loading: boolean }) {
  if (loading) return <p className="muted">Loading…</p>;
  if (!slo) return null;
  if (slo.tiers.length === 0) return <p className="muted">No tiers yet: create one on the Services page.</p>;
  return (
    <section className={css.tiers} aria-label="Compliance per tier">
      {slo.tiers.map((t) => {
        const share = t.compliance;
        return (
          <article key={t.id} className={`card ${css.tierCard}`} data-testid="tier-card" aria-label={t.name}>
            <div className={css.tierName}>{t.name}</div>
            <div className={css.tierFigure}>{t.sources === 0 ? '—' : formatPercent(share)}</div>
            <div className={css.meter} aria-hidden="true">
              <div className={`${css.meterFill} ${share !== null && share < 1 ? css.meterLow : ''}`} style={{ width: `${Math.round((share ?? 0) * 100)}%` }} />
            </div>
            <div className="small" data-testid="tier-compliance">
              {complianceWords(t)}
              {t.sources > 0 && `, ${formatPercent(share)}`}
            </div>
            <div className={css.tierTargets}>
              RPO {formatSeconds(t.rpoSeconds)} · RTO {formatSeconds(t.rtoSeconds)}
            </div>
          </article>
        );
      })}
    </section>
  );
}

function OutOfTarget({ slo, loading, error }: { slo: SloReport | undefined; loading: boolean; error: unknown }) {
  const rows = slo ? outOfTarget(slo.sources) : [];
  return (
    <section className="card" aria-labelledby="out-heading">
      <h2 id="out-heading">Sources out of target</h2>
      {loading && !error && <p className="muted">Loading…</p>}
      {!!error && <p className="muted">See the message above.</p>}
      {slo && rows.length === 0 && (
        <p className="muted">{slo.sources.length === 0 ? 'No sources yet: add one on the Sources page.' : 'Every source is within its targets.'}</p>
      )}
      {/* A list, not a table: the reasons are sentences, and need the width on a phone. */}
      <ul className={css.outList} aria-label="Sources out of target">
        {rows.map((s) => (
          <li key={s.sourceId} data-testid="out-of-target-row">
            <div className={css.outHead}>
              <Link href={`/sources/${s.sourceId}`} className="strong-link">
                {s.name}
              </Link>
              <SloBadge status={s.status} />
            </div>
            {s.reasons.length > 0 && (
              <ul className={css.reasons}>
                {s.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            )}
            {nextStep(s) && <div className={css.step}>{nextStep(s)}</div>}
            <Evidence s={s} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function BackupRates({ report, loading, error }: { report: BackupReport | undefined; loading: boolean; error: unknown }) {
  const figures = report
    ? [
        { label: 'Last 24 h', counts: report.outcomes.last24h },
        { label: 'Last 7 days', counts: report.outcomes.last7d },
      ]
    : [];
  return (
    <section className="card" aria-labelledby="rates-heading">
      <h2 id="rates-heading">Backup success rate</h2>
      {loading && !error && <p className="muted">Loading…</p>}
      {!!error && <ErrorAlert title="The backup history could not be loaded" error={error} />}
      <div className={css.rates}>
        {figures.map((f) => {
          const rate = successRate(f.counts);
          return (
            <div key={f.label} data-testid="success-rate">
              <div className="stat-label">{f.label}</div>
              <div className={css.rateValue}>{formatPercent(rate)}</div>
              <div className="small muted">
                {rate === null ? 'No backup finished in this period' : `${f.counts.succeeded} succeeded, ${f.counts.failed} failed`}
              </div>
            </div>
          );
        })}
      </div>
    </section>
  );
}

function NextRuns({ slo, loading, error, now }: { slo: SloReport | undefined; loading: boolean; error: unknown; now: number }) {
  const rows = slo ? nextRuns(slo.sources) : [];
  return (
    <section className="card" aria-labelledby="next-heading">
      <h2 id="next-heading">Next scheduled runs</h2>
      <div className={css.scroll}>
        <table className="table" aria-label="Next scheduled runs">
          <thead>
            <tr>
              <th>Source</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus
              colSpan={2}
              loading={loading && !error}
              error={error ? new Error('See the message above.') : null}
              empty={!!slo && rows.length === 0 && 'No schedule: add one to a policy (Policies page).'}
            />
            {rows.map((s) => (
              <tr key={s.sourceId}>
                <td>
                  <Link href={`/sources/${s.sourceId}`}>{s.name}</Link>
                </td>
                <td title={formatDateTime(s.nextRunAt)}>
                  {formatDateTime(s.nextRunAt)} <span className="muted small">({formatAge(s.nextRunAt, now)})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const SCHEDULED = new Set(['schedule', 'catch-up']);

function FailedRuns({ runs, loading, error }: { runs: RunWithTrigger[] | undefined; loading: boolean; error: unknown }) {
  const rows = runs ?? [];
  return (
    <section className="card" aria-labelledby="failed-heading" id="failed-runs">
      <div className="section-head">
        <h2 id="failed-heading">Failed runs</h2>
        <Link href="/runs" className="small">
          All runs
        </Link>
      </div>
      <div className={css.scroll}>
        <table className="table" aria-label="Failed runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Source</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={3} loading={loading} error={error} empty={rows.length === 0 && 'No failed runs.'} />
            {rows.map((r) => (
              <tr key={r.id} data-testid="failed-run-row">
                <td>
                  <Link href={`/runs/${r.id}`} className="inline-flex">
                    <StatusBadge status={r.status} />
                    <span className="small">
                      {r.kind.toLowerCase()}
                      {r.trigger && SCHEDULED.has(r.trigger) && <span className="badge badge-info badge-inline">{r.trigger === 'catch-up' ? 'catch-up' : 'scheduled'}</span>}
                    </span>
                  </Link>
                  <div className="muted small">{formatDateTime(r.finishedAt ?? r.createdAt)}</div>
                </td>
                <td>{r.sourceId ? <Link href={`/sources/${r.sourceId}`}>{r.sourceName ?? r.sourceId.slice(0, 8)}</Link> : '—'}</td>
                <td className="small">{r.error ?? <span className="muted">no reason recorded</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function SourcesSlo({ slo, report, loading, error, now }: { slo: SloReport | undefined; report: BackupReport | undefined; loading: boolean; error: unknown; now: number }) {
  const last = useMemo(() => lastBackupBySource(report?.items ?? []), [report]);
  const rows = slo?.sources ?? [];
  return (
    <section className="card" aria-labelledby="slo-sources-heading">
      <h2 id="slo-sources-heading">Sources</h2>
      <div className={css.scroll}>
        <table className={`table ${css.wide}`} aria-label="Source objectives">
          <thead>
            <tr>
              <th>Source</th>
              <th>Status</th>
              <th>Last backup</th>
              <th className="num">RPO achieved / target</th>
              <th className="num">RTO achieved / target</th>
              <th className="num">Missed (24 h)</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus
              colSpan={6}
              loading={loading && !error}
              error={error ? new Error('See the message above.') : null}
              empty={!!slo && rows.length === 0 && 'No sources yet: add one on the Sources page.'}
            />
            {rows.map((s) => {
              const b = last.get(s.sourceId);
              return (
                <tr key={s.sourceId} data-testid="slo-source-row">
                  <td>
                    <Link href={`/sources/${s.sourceId}`} className="strong-link">
                      {s.name}
                    </Link>
                  </td>
                  <td>
                    <SloBadge status={s.status} testId="slo-status" />
                  </td>
                  <td>
                    {s.rpo.pointAt ? (
                      <span title={formatDateTime(s.rpo.pointAt)}>{formatAge(s.rpo.pointAt, now)}</span>
                    ) : b ? (
                      <span title={formatDateTime(b.at)}>{formatAge(b.at, now)}</span>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="num">
                    <Objective achieved={s.rpo.achievedSeconds} target={s.rpo.targetSeconds} />
                  </td>
                  <td className="num">
                    <Objective achieved={s.rto.achievedSeconds ?? s.rto.estimatedSeconds ?? null} target={s.rto.targetSeconds} estimated={s.rto.estimated} />
                  </td>
                  <td className="num">
                    {s.missedSlots24h > 0 ? <Link href={`/sources/${s.sourceId}?slots=MISSED#slots`}>{s.missedSlots24h}</Link> : <span className="muted">0</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Charts({ report, loading, error, now }: { report: BackupReport | undefined; loading: boolean; error: unknown; now: number }) {
  const { duration, size, rpo } = useMemo(() => {
    const items = report?.items ?? [];
    const bySource = new Map<string, Series & { sizes: Series['points'] }>();
    for (const r of items) {
      const s = bySource.get(r.sourceId) ?? { id: r.sourceId, name: r.name, points: [], sizes: [] };
      const t = Date.parse(r.at);
      s.points.push({ t, value: r.durationSeconds });
      if (r.storedBytes !== null) s.sizes.push({ t, value: r.storedBytes });
      bySource.set(r.sourceId, s);
    }
    const all = [...bySource.values()];
    return {
      duration: all.map(({ id, name, points }) => ({ id, name, points })),
      size: all.map(({ id, name, sizes }) => ({ id, name, points: sizes })),
      rpo: [...rpoSeries(items, now)].map(([id, v]) => ({ id, name: v.name, points: v.samples.map((p) => ({ t: p.t, value: p.seconds })) })),
    };
    // `now` moves every half minute; the series only need it for their last sample.
  }, [report, now]);
  const empty = !loading && !error && duration.length === 0;
  return (
    <section aria-label="Backup history" className={css.section}>
      {!!error && <ErrorAlert title="The backup history could not be loaded" error={error} />}
      {report?.truncated && <p className="muted small">Only the newest {report.items.length} backups of the last {report.days} days are charted.</p>}
      <div className={css.columns}>
        <ChartCard title={`Backup duration, last ${CHART_DAYS} days`} empty={empty} loading={loading}>
          <TimeSeriesChart series={duration} format={(v) => formatSeconds(v)} label="Backup duration per source" />
        </ChartCard>
        <ChartCard title={`Stored size, last ${CHART_DAYS} days`} empty={empty} loading={loading}>
          <TimeSeriesChart series={size} format={(v) => formatBytes(v)} label="Stored size per backup, per source" />
        </ChartCard>
        <ChartCard title="Achieved RPO over time" empty={empty} loading={loading}>
          <TimeSeriesChart series={rpo} format={(v) => formatSeconds(v)} label="Achieved RPO per source: the age of the newest usable point just before each new one" />
          <p className="muted small">At each backup: how old the newest usable point was just before it; the last value is now.</p>
        </ChartCard>
      </div>
    </section>
  );
}

function ChartCard({ title, empty, loading, children }: { title: string; empty: boolean; loading: boolean; children: React.ReactNode }) {
  return (
    <section className="card">
      <h2>{title}</h2>
      {loading ? <p className="muted">Loading…</p> : empty ? <p className="muted">No successful backup in this period: run one, or add a schedule to the policy.</p> : children}
    </section>
  );
}
