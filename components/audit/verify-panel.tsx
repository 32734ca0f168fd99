'use client';

import { ErrorAlert } from '@/components/ui/alert';
import { formatAge, formatDateTime, shortHash } from '@/components/ui/format';
import { useNow } from '@/components/ui/use-now';
import css from './audit.module.css';
import { useAuditVerify } from './queries';
import type { AuditVerifyReport } from './types';

const count = new Intl.NumberFormat('en-GB');

const PROBLEM: Record<string, string> = {
  changed: 'was changed',
  missing: 'follows a gap: events before it are missing',
  inserted: 'was inserted',
  'out of order': 'is out of order',
};

/**
 * "Verify now": walks the whole chain (every hash recomputed) and compares it with the newest anchor on the
 * destinations; says intact or broken, how many events verified, the first bad one (with a link to it), the
 * anchor's state and when it ran.
 */
export function VerifyPanel({ onShowEvent }: { onShowEvent: (id: string) => void }) {
  const verify = useAuditVerify();
  const report = verify.data;
  return (
    <section className="card" aria-labelledby="verify-heading" data-testid="audit-verify">
      <div className="section-head">
        <h2 id="verify-heading">Chain verification</h2>
        <button type="button" className="btn btn-sm btn-primary" disabled={verify.isFetching} onClick={() => void verify.refetch()}>
          {verify.isFetching ? 'Verifying…' : 'Verify now'}
        </button>
      </div>
      {verify.error && !verify.isFetching ? (
        <ErrorAlert title="The verification did not run" error={verify.error} />
      ) : report ? (
        <VerifyReport report={report} stale={verify.isFetching} onShowEvent={onShowEvent} />
      ) : (
        <p className="muted small">
          {verify.isFetching
            ? 'Recomputing every event’s hash…'
            : 'Not verified on this page yet. Verifying recomputes every event’s hash in order and compares the chain with the newest anchor written to the destinations.'}
        </p>
      )}
    </section>
  );
}

function VerifyReport({ report, stale, onShowEvent }: { report: AuditVerifyReport; stale: boolean; onShowEvent: (id: string) => void }) {
  const now = useNow(true, 5_000);
  const { firstBad, anchor } = report;
  return (
    <div aria-busy={stale || undefined} style={stale ? { opacity: 0.6 } : undefined}>
      <p>
        <span className={`badge ${report.ok ? 'badge-success' : 'badge-danger'}`} data-testid="verify-status" data-ok={String(report.ok)}>
          {report.ok ? 'Intact' : 'Broken'}
        </span>{' '}
        <span data-testid="verify-checked">
          {count.format(report.checked)} {report.checked === 1 ? 'event' : 'events'} verified
        </span>
        <span className="muted">
          {' '}
          · <time dateTime={report.verifiedAt}>{formatDateTime(report.verifiedAt)}</time> ({formatAge(report.verifiedAt, now)})
        </span>
      </p>
      <dl className={css.verifyFacts}>
        <dt>First bad event</dt>
        <dd data-testid="verify-first-bad">
          {firstBad ? (
            <>
              <a
                href={`/audit?event=${encodeURIComponent(firstBad.id)}`}
                className="strong-link"
                onClick={(e) => {
                  e.preventDefault();
                  onShowEvent(firstBad.id);
                }}
              >
                Event #{firstBad.id}
              </a>{' '}
              {PROBLEM[firstBad.problem] ?? firstBad.problem}. <span className="muted">{firstBad.detail}</span>
            </>
          ) : (
            <span className="muted">none: every event links to the one before it and its hash matches</span>
          )}
        </dd>
        <dt>Anchor</dt>
        <dd data-testid="verify-anchor" data-ok={anchor ? String(anchor.ok) : undefined}>
          {!anchor || anchor.ok === null ? (
            <span className="muted">{anchor?.detail ? anchor.detail : 'no anchor found on the destinations to compare with'}</span>
          ) : (
            <>
              <span className={`badge ${anchor.ok ? 'badge-success' : 'badge-danger'}`}>{anchor.ok ? 'matches' : 'does not match'}</span>{' '}
              event #{anchor.sequence ?? '—'} on {anchor.destination ?? 'a destination'}
              {anchor.at ? `, written ${formatDateTime(anchor.at)}` : ''}. <span className="muted">{anchor.detail}</span>
            </>
          )}
          {anchor && anchor.unreadable.length > 0 && (
            <span className="danger-text small" style={{ display: 'block', marginLeft: 0 }}>
              Not compared (could not be read): {anchor.unreadable.map((u) => `${u.destination}: ${u.error}`).join('; ')}
            </span>
          )}
        </dd>
        {report.head && (
          <>
            <dt>Chain head</dt>
            <dd>
              event #{report.head.sequence} <span className="mono muted" title={report.head.hash}>{shortHash(report.head.hash)}…</span>
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
