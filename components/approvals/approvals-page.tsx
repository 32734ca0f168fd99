'use client';

import { useState } from 'react';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { PageHeader } from '@/components/ui/page-header';
import { useRestoreRequests, type RequestFilter } from './queries';
import { RequestView } from './request-view';
import { RESTORE_REQUEST_STATUSES_UI, STATUS_WORDS } from './words';
import type { RestoreRequestStatus } from './types';
import css from './approvals.module.css';

type Tab = 'inbox' | 'mine' | 'all';

const TABS: Record<Tab, { label: string; empty: string }> = {
  inbox: { label: 'Waiting for approval', empty: 'No restore requests wait for approval.' },
  mine: { label: 'My requests', empty: 'You have not requested any restore yet. Request one from a recovery point on a source’s page.' },
  all: { label: 'All', empty: 'No restore requests.' },
};

/**
 * The approvals inbox: pending requests newest first for approvers (each with its risk, rule, progress, changes and
 * decisions, and approve / reject), the requester's own requests with their state, and all of them; refreshed live.
 */
export function ApprovalsPage() {
  const viewer = useViewer();
  const approver = viewer.can.governPoints;
  const tabs: Tab[] = [...(approver ? (['inbox'] as const) : []), ...(viewer.can.requestRestore ? (['mine'] as const) : []), 'all'];
  const [tab, setTab] = useState<Tab>(tabs[0]!);
  const [status, setStatus] = useState<RestoreRequestStatus | ''>('');
  const filter: RequestFilter = tab === 'inbox' ? { status: 'PENDING_APPROVAL' } : tab === 'mine' ? { mine: true, ...(status ? { status } : {}) } : status ? { status } : {};
  const requests = useRestoreRequests(filter);
  const rows = requests.data ?? [];
  return (
    <>
      <PageHeader
        title="Approvals"
        subtitle={
          approver
            ? 'Restore requests and their approvals. Nobody approves their own request; an edit voids the approvals given so far.'
            : 'Your restore requests and their state, refreshed every few seconds.'
        }
      />
      <div className={css.tabs} role="tablist" aria-label="Which requests">
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" className={css.tab} aria-selected={tab === t} onClick={() => setTab(t)}>
            {TABS[t].label}
          </button>
        ))}
        {tab !== 'inbox' && (
          <label className="small" style={{ marginLeft: 'auto', alignSelf: 'center' }}>
            State{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value as RestoreRequestStatus | '')}>
              <option value="">any</option>
              {RESTORE_REQUEST_STATUSES_UI.map((s) => (
                <option key={s} value={s}>
                  {STATUS_WORDS[s]}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className={css.list} role="tabpanel" aria-label={TABS[tab].label} data-testid="requests-list">
        {requests.isPending && <p className="muted">Loading…</p>}
        {requests.error && <ErrorAlert title="Cannot load the restore requests" error={requests.error} />}
        {requests.isSuccess && rows.length === 0 && <Alert tone="info">{TABS[tab].empty}</Alert>}
        {rows.map((r) => (
          <RequestView key={r.id} r={r} inList />
        ))}
      </div>
    </>
  );
}
