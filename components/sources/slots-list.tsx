'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { useSlots } from '@/components/api/queries';
import type { SlotState } from '@/components/api/types';
import css from '@/components/overview/overview.module.css';
import { formatDateTime } from '@/components/ui/format';
import { TableStatus } from '@/components/ui/query-state';

const STATES: SlotState[] = ['STARTED', 'MISSED', 'SKIPPED'];
const TONE: Record<SlotState, string> = { STARTED: 'success', MISSED: 'danger', SKIPPED: 'warning' };

/**
 * The source's scheduled slots, newest first, with a state filter; `?slots=MISSED` (the overview's "missed slots"
 * link) opens it filtered. Every expected slot has a row: started with its run, or missed/skipped with the reason.
 */
export function SlotsList({ sourceId }: { sourceId: string }) {
  const [state, setState] = useState<SlotState | ''>('');
  // Older pages: the stack of `before` cursors walked so far (empty = the newest page).
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => {
    // Read once on arrival; window, not useSearchParams, so the page needs no Suspense boundary for it.
    const wanted = new URLSearchParams(window.location.search).get('slots');
    if (wanted && (STATES as string[]).includes(wanted)) setState(wanted as SlotState);
  }, []);
  const before = cursors[cursors.length - 1] ?? null;
  const slots = useSlots(sourceId, state, before);
  const rows = slots.data?.items ?? [];
  const next = slots.data?.nextBefore ?? null;
  return (
    <section className="card" id="slots" aria-labelledby="slots-heading">
      <div className={css.toolbar}>
        <h2 id="slots-heading" style={{ margin: 0 }}>
          Slots
        </h2>
        <label className="small">
          <span className="sr-only">Slot state</span>
          <select
            aria-label="Slot state"
            value={state}
            onChange={(e) => {
              setState(e.target.value as SlotState | '');
              setCursors([]);
            }}
          >
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className={css.scroll}>
        <table className={`table ${css.wide}`} aria-label="Scheduled slots">
          <thead>
            <tr>
              <th>Slot</th>
              <th>Kind</th>
              <th>State</th>
              <th>Reason / run</th>
            </tr>
          </thead>
          <tbody>
            <TableStatus
              colSpan={4}
              loading={slots.isPending}
              error={slots.error}
              empty={rows.length === 0 && (state ? `No ${state.toLowerCase()} slots.` : 'No slots yet: add a schedule to the policy, and each slot shows here.')}
            />
            {rows.map((s) => (
              <tr key={s.id} data-testid="slot-row">
                <td>{formatDateTime(s.slotAt)}</td>
                <td>{s.kind}</td>
                <td>
                  <span className={`badge badge-${TONE[s.state] ?? 'neutral'}`} data-status={s.state}>
                    {s.state}
                  </span>
                </td>
                <td className="small">
                  {s.runId && (
                    <Link href={`/runs/${s.runId}`} className="mono">
                      run {s.runId.slice(0, 8)}
                    </Link>
                  )}
                  {s.runId && s.reason && ' · '}
                  {s.reason ?? (s.runId ? null : <span className="muted">—</span>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {(cursors.length > 0 || rows.length > 0) && (
        <div className={css.pager}>
          {cursors.length > 0 && (
            <button type="button" className="btn btn-sm" onClick={() => setCursors([])}>
              Newest
            </button>
          )}
          <button type="button" className="btn btn-sm" disabled={!next} onClick={() => next && setCursors([...cursors, next])}>
            Older
          </button>
        </div>
      )}
    </section>
  );
}
