'use client';

import Link from 'next/link';
import { errorCode } from '@/components/api/client';
import { useSlo } from '@/components/api/queries';
import { nextStep } from '@/components/overview/derive';
import { Evidence, Objective } from '@/components/overview/objective';
import css from '@/components/overview/overview.module.css';
import { SloBadge } from '@/components/overview/slo-badge';
import { ErrorAlert } from '@/components/ui/alert';
import { formatAge, formatDateTime, formatSeconds } from '@/components/ui/format';
import { useNow } from '@/components/ui/use-now';
import { SlotsList } from './slots-list';

// Ages tick by the half minute.
const AGE_TICK_MS = 30_000;

/** The source page's SLO card and, below it, its slots (one mount point in source-detail.tsx). */
export function SloPanel({ sourceId }: { sourceId: string }) {
  return (
    <>
      <SloCard sourceId={sourceId} />
      <SlotsList sourceId={sourceId} />
    </>
  );
}

/** The source's objectives: status and reasons, RPO/RTO achieved against the tier's targets, the next run. */
function SloCard({ sourceId }: { sourceId: string }) {
  const slo = useSlo();
  const now = useNow(true, AGE_TICK_MS);
  const s = slo.data?.sources.find((x) => x.sourceId === sourceId);
  return (
    <section className="card" id="slo" aria-labelledby="slo-heading">
      <div className="section-head">
        <h2 id="slo-heading">SLO</h2>
        {s && <SloBadge status={s.status} testId="source-slo-status" />}
      </div>
      {slo.isPending && <p className="muted">Loading…</p>}
      {slo.error && (
        <ErrorAlert title={errorCode(slo.error) === 'NOT_FOUND' ? 'The SLO figures are not available on this server yet' : 'The SLO figures could not be loaded'} error={slo.error} />
      )}
      {slo.data && !s && <p className="muted">No SLO figures for this source yet.</p>}
      {s && (
        <>
          {s.reasons.length > 0 && (
            <ul className={css.reasons} data-testid="slo-reasons">
              {s.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
          {nextStep(s) && <p className={css.step}>{nextStep(s)}</p>}
          <dl className={css.slo} style={{ marginTop: 12 }}>
            <div>
              <dt>RPO achieved / target</dt>
              <dd>
                <Objective achieved={s.rpo.achievedSeconds} target={s.rpo.targetSeconds} />
              </dd>
              <dd className="small muted">
                newest verified point: {s.rpo.verifiedAchievedSeconds === null ? 'none yet' : formatSeconds(s.rpo.verifiedAchievedSeconds)}
              </dd>
            </div>
            <div>
              <dt>RTO achieved / target</dt>
              <dd>
                <Objective achieved={s.rto.achievedSeconds ?? s.rto.estimatedSeconds ?? null} target={s.rto.targetSeconds} estimated={s.rto.estimated} />
              </dd>
              {s.rto.estimated && <dd className="small muted">estimate: no restore yet</dd>}
            </div>
            <div>
              <dt>Next run</dt>
              <dd title={formatDateTime(s.nextRunAt)}>{s.nextRunAt ? `${formatDateTime(s.nextRunAt)} (${formatAge(s.nextRunAt, now)})` : <span className="muted">no schedule</span>}</dd>
            </div>
            <div>
              <dt>Missed slots (24 h)</dt>
              <dd>{s.missedSlots24h > 0 ? <a href="#slots">{s.missedSlots24h}</a> : '0'}</dd>
            </div>
          </dl>
          <div style={{ marginTop: 8 }}>
            <Evidence s={s} />
          </div>
          {s.tierId === null && (
            <p className="small muted">
              Targets come from the tier of the source&apos;s service: <Link href="/services">put the source in a service</Link>.
            </p>
          )}
        </>
      )}
    </section>
  );
}
