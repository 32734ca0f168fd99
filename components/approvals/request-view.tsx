'use client';

import Link from 'next/link';
import { useState } from 'react';
import { useViewer } from '@/components/layout/viewer';
import { ErrorAlert, Alert } from '@/components/ui/alert';
import { formatAge, formatDateTime } from '@/components/ui/format';
import { useNow } from '@/components/ui/use-now';
import { useRequestAction } from './queries';
import type { RestoreRequest } from './types';
import { changesSinceApproval, isOpen, pointWords, progressText, STATUS_TONE, STATUS_WORDS, targetWords, voidedWords } from './words';
import css from './approvals.module.css';

export function RequestStatusBadge({ r }: { r: Pick<RestoreRequest, 'status' | 'expired'> }) {
  const status = r.expired && r.status !== 'EXPIRED' ? 'EXPIRED' : r.status;
  return (
    <span className={`badge badge-${STATUS_TONE[status]}`} data-testid="request-status" data-status={status}>
      {STATUS_WORDS[status]}
    </span>
  );
}

/** Destructive or not, the point's age and size, and what will be replaced. */
export function RiskPanel({ r }: { r: RestoreRequest }) {
  const { risk } = r;
  if (risk.destructive) {
    return (
      <div className={css.risk} data-testid="request-risk">
        <span className="badge badge-danger">destructive</span> <strong>This will replace {risk.replaces ?? 'the existing target'}.</strong>
        <p>
          {pointWords(risk)}. Once it has run, what is there now is gone.
        </p>
      </div>
    );
  }
  return (
    <div className={css.riskCalm} data-testid="request-risk">
      <span className="badge badge-neutral">not destructive</span> Restores into {targetWords(r.target)}, which must not exist yet; nothing is replaced.{' '}
      <span className="muted">{pointWords(risk)}.</span>
    </div>
  );
}

/** The chain of decisions: who, with which role, when, the comment, and whether (and why not) it still counts. */
export function DecisionChain({ r }: { r: RestoreRequest }) {
  if (r.decisions.length === 0 && !r.breakGlass) return <p className="muted">No decisions yet.</p>;
  return (
    <ol className={css.chain} aria-label="Decisions" data-testid="decision-chain">
      {r.decisions.map((d) => (
        <li key={d.id} data-decision={d.decision} data-voided={d.voided !== null} data-testid="decision">
          <strong className={d.voided ? css.voided : undefined}>{d.decision === 'APPROVE' ? 'Approved' : 'Rejected'}</strong> by {d.approver.email} (
          {d.roleAtDecision.toLowerCase()}
          {d.viaTokenId ? ', with an API token' : ''}), {formatDateTime(d.at)}, on version {d.version}
          {d.comment && <>: “{d.comment}”</>}
          {d.voided && (
            <span className="muted" data-testid="decision-voided">
              {' '}
              — no longer counts: {voidedWords(d.voided)}.
            </span>
          )}
        </li>
      ))}
      {r.breakGlass && (
        <li data-decision="REJECT" data-testid="decision">
          <strong>Break glass</strong> by {r.breakGlassBy?.email ?? 'an admin'}: “{r.breakGlassReason}”
          {r.breakGlassAcknowledged
            ? `; acknowledged by ${r.breakGlassAcknowledgedBy?.email ?? 'an approver'}, ${formatDateTime(r.breakGlassAcknowledgedAt)}`
            : '; not acknowledged yet'}
        </li>
      )}
    </ol>
  );
}

/** Approve or reject, with a comment. Refusals (self-approval, expired, already decided) show as sentences. */
export function DecideForm({ r }: { r: RestoreRequest }) {
  const [comment, setComment] = useState('');
  const action = useRequestAction(r.id);
  const id = `comment-${r.id}`;
  return (
    <form
      className={css.decide}
      aria-label={`Decide on the restore of ${r.sourceName}`}
      onSubmit={(e) => {
        e.preventDefault();
      }}
    >
      <label htmlFor={id}>Comment</label>
      <textarea id={id} value={comment} maxLength={1000} onChange={(e) => setComment(e.target.value)} placeholder="Why you approve or reject (kept in the audit trail)" />
      <div className={css.buttons}>
        <button type="button" className="btn btn-primary" disabled={action.isPending} onClick={() => action.mutate({ kind: 'approve', comment })}>
          {action.isPending && action.variables.kind === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button type="button" className="btn btn-danger" disabled={action.isPending} onClick={() => action.mutate({ kind: 'reject', comment })}>
          {action.isPending && action.variables.kind === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
      {action.error && <ErrorAlert title="Your decision was not recorded" error={action.error} testId="decide-error" />}
      {action.data?.executionError && (
        <Alert tone="warning" title="Approved, but the restore did not start">
          {action.data.executionError.message}. It waits, approved, for someone to execute it.
        </Alert>
      )}
    </form>
  );
}

/**
 * One request as the inbox and its own page show it: source, state, requester and reason, the risk, the rule and
 * its progress, what changed since an earlier approval, the chain of decisions, and (for approvers, while open)
 * the decision form. `headingLevel` 2 on its own page, 3 in a list.
 */
export function RequestView({ r, inList = false }: { r: RestoreRequest; inList?: boolean }) {
  const viewer = useViewer();
  // Ages ("3 min ago") tick without refetching.
  const now = useNow(true, 30_000);
  const changed = changesSinceApproval(r);
  const open = isOpen(r);
  const H = inList ? 'h3' : 'h2';
  return (
    <article className={`card ${css.request}`} data-testid="restore-request" data-request-id={r.id} aria-label={`Restore request for ${r.sourceName}`}>
      <div className={css.head}>
        <H>
          {inList ? <Link href={`/approvals/${r.id}`}>Restore of {r.sourceName}</Link> : <>Restore of {r.sourceName}</>}
        </H>
        <RequestStatusBadge r={r} />
        {r.destructive && <span className="badge badge-danger">destructive</span>}
        {r.breakGlass && (
          <span className="badge badge-danger" data-testid="break-glass-badge">
            break glass
          </span>
        )}
      </div>
      <dl className={css.facts}>
        <dt>Requested by</dt>
        <dd>
          {r.requester.email}
          {r.requester.email === viewer.email && <span className="badge badge-neutral badge-inline">you</span>}
          {r.viaTokenId ? ' (with an API token)' : ''}, {formatAge(r.createdAt, now)}
        </dd>
        <dt>Reason</dt>
        <dd data-testid="request-reason">{r.reason || <span className="muted">none given</span>}</dd>
        <dt>Target</dt>
        <dd>
          {targetWords(r.target)} · mode {r.mode}
        </dd>
        <dt>Rule</dt>
        <dd data-testid="request-rule">
          {r.rule} · <strong data-testid="request-progress">{progressText(r)}</strong>
        </dd>
        <dt>{open ? 'Expires' : r.status === 'EXECUTED' ? 'Run' : 'Closed'}</dt>
        <dd>
          {open ? (
            `${formatAge(r.expiresAt, now)} (${formatDateTime(r.expiresAt)})`
          ) : r.runId ? (
            <Link href={`/runs/${r.runId}`} data-testid="request-run-link">
              Follow the restore run →
            </Link>
          ) : (
            formatDateTime(r.closedAt ?? r.updatedAt)
          )}
        </dd>
      </dl>
      <RiskPanel r={r} />
      {changed && (
        <div className={css.changes} data-testid="request-changes">
          <strong>
            Changed since {changed.since.approver.email} approved version {changed.since.version}:
          </strong>
          <ul>
            {changed.changes.map((c) => (
              <li key={c.field}>
                {c.field}: {c.from} → {c.to}
              </li>
            ))}
          </ul>
        </div>
      )}
      <section aria-label="Decisions">
        <strong className="small">Decisions</strong>
        <DecisionChain r={r} />
      </section>
      {open && r.status === 'PENDING_APPROVAL' && viewer.can.governPoints && <DecideForm r={r} />}
    </article>
  );
}
