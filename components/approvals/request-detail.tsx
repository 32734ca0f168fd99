'use client';

import Link from 'next/link';
import { useState } from 'react';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { Modal } from '@/components/ui/modal';
import { PageHeader } from '@/components/ui/page-header';
import { useRequestAction, useRestoreRequest } from './queries';
import { RequestView } from './request-view';
import type { RestoreRequest } from './types';
import { isOpen } from './words';
import css from './approvals.module.css';

// The server's rule (BREAK_GLASS_MIN_REASON in server/approvals/rules.ts), repeated so the dialog says it before sending.
const BREAK_GLASS_MIN_REASON = 15;

/** `/approvals/[id]`: one request, with what the viewer may do to it, its run and its audit trail. */
export function RequestDetail({ id }: { id: string }) {
  const request = useRestoreRequest(id);
  return (
    <>
      <PageHeader
        title="Restore request"
        subtitle={
          <Link href="/approvals" className="small">
            ← Approvals
          </Link>
        }
      />
      {request.isPending && <p className="muted">Loading…</p>}
      {request.error && <ErrorAlert title="Cannot load this restore request" error={request.error} />}
      {request.data && (
        <>
          <RequestView r={request.data} />
          <RequestActions r={request.data} />
        </>
      )}
    </>
  );
}

function RequestActions({ r }: { r: RestoreRequest }) {
  const viewer = useViewer();
  const action = useRequestAction(r.id);
  const [breaking, setBreaking] = useState(false);
  const open = isOpen(r);
  const mine = r.requester.email === viewer.email;
  const admin = viewer.role === 'ADMIN';
  const canExecute = r.status === 'APPROVED' && !r.expired && viewer.can.requestRestore;
  const canCancel = open && (mine || admin);
  const canBreakGlass = open && admin;
  const canAcknowledge = r.breakGlass && !r.breakGlassAcknowledged && viewer.can.governPoints;
  return (
    <section className="card" aria-label="Actions">
      <div className={css.buttons}>
        {canExecute && (
          <button type="button" className="btn btn-primary" disabled={action.isPending} onClick={() => action.mutate({ kind: 'execute' })}>
            {action.isPending && action.variables.kind === 'execute' ? 'Starting…' : 'Execute now'}
          </button>
        )}
        {canCancel && (
          <button type="button" className="btn" disabled={action.isPending} onClick={() => action.mutate({ kind: 'cancel' })}>
            {action.isPending && action.variables.kind === 'cancel' ? 'Cancelling…' : 'Cancel request'}
          </button>
        )}
        {canBreakGlass && (
          <button type="button" className="btn btn-danger" disabled={action.isPending} onClick={() => setBreaking(true)}>
            Break glass…
          </button>
        )}
        {canAcknowledge && (
          <button type="button" className="btn" disabled={action.isPending} onClick={() => action.mutate({ kind: 'acknowledge' })}>
            Acknowledge break-glass
          </button>
        )}
        {r.runId && (
          <Link href={`/runs/${r.runId}`} className="btn" data-testid="request-run-button">
            Restore run and its progress →
          </Link>
        )}
        {viewer.can.readAudit && (
          <Link href={`/audit?targetId=${encodeURIComponent(r.id)}`} className="btn btn-ghost" data-testid="request-audit-link">
            Audit trail of this request →
          </Link>
        )}
      </div>
      {!canExecute && !canCancel && !canBreakGlass && !canAcknowledge && !r.runId && <p className="muted">Nothing to do on this request.</p>}
      {action.error && !breaking && <ErrorAlert title="That did not work" error={action.error} testId="request-action-error" />}
      <BreakGlassDialog r={r} open={breaking} onClose={() => setBreaking(false)} action={action} />
    </section>
  );
}

function BreakGlassDialog({ r, open, onClose, action }: { r: RestoreRequest; open: boolean; onClose: () => void; action: ReturnType<typeof useRequestAction> }) {
  const [reason, setReason] = useState('');
  const short = reason.trim().length < BREAK_GLASS_MIN_REASON;
  return (
    <Modal title="Break glass" open={open} onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          action.mutate({ kind: 'break-glass', reason: reason.trim() }, { onSuccess: onClose });
        }}
      >
        <Alert tone="warning">
          This runs the restore of {r.sourceName} now, without the approvals its rule asks for ({r.rule}). It is recorded as a break-glass restore,
          shown to everyone in a banner until an approver acknowledges it.
        </Alert>
        <div className="field">
          <label htmlFor="break-glass-reason">Why this cannot wait for approvals</label>
          <textarea id="break-glass-reason" className={css.reason} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} aria-describedby="break-glass-note" />
          <small className="muted" id="break-glass-note">
            At least {BREAK_GLASS_MIN_REASON} characters; kept in the audit trail.
          </small>
        </div>
        {action.error && <ErrorAlert title="Glass not broken" error={action.error} />}
        <FormActions onCancel={onClose} submitLabel="Break glass and restore now" pendingLabel="Starting restore…" pending={action.isPending} disabled={short} danger />
      </form>
    </Modal>
  );
}
