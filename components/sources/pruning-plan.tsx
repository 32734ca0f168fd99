'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '@/components/api/client';
import { ACTIVE_REFRESH_MS, keys, usePruningPlan } from '@/components/api/queries';
import type { PruneRequested, PruningPlan, RecoveryPoint } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { TableStatus } from '@/components/ui/query-state';
import { useNow } from '@/components/ui/use-now';
import { planRows, pruneCounts, pruneSentence, type PlanRow } from './plan-rows';
import { FormActions } from '@/components/ui/form-actions';

// The prune runs in the worker; a small source is done in a second or two. Past a minute the worker is busy or down,
// and the page stops refreshing on its own (the periodic prune, or another click, finishes the job).
const PRUNE_WAIT_MS = 60_000;

const DECISION_TONE: Record<PlanRow['decision'], string> = { keep: 'badge-success', delete: 'badge-danger', partial: 'badge-warning' };

/** Everything a prune would do, as keys, to tell when the worker has done it (a done item leaves the plan). */
function plannedWork(plan: PruningPlan): string[] {
  const { deletePoints, prunePrimaries, pruneCopies } = plan.actions;
  return [
    ...deletePoints.map((d) => `point:${d.id}`),
    ...prunePrimaries.map((p) => `primary:${p.id}`),
    ...pruneCopies.map((c) => `copy:${c.pointId}:${c.destinationId}`),
  ];
}

/** The retention dry run ("what the next prune would do"), per point and scope, and the "Prune now" button. */
export function PruningPlanCard({ sourceId, points }: { sourceId: string; points: readonly RecoveryPoint[] | undefined }) {
  const viewer = useViewer();
  const queryClient = useQueryClient();
  const plan = usePruningPlan(sourceId);
  const [confirming, setConfirming] = useState(false);
  const [waiting, setWaiting] = useState<{ since: number; work: string[] } | null>(null);
  const [notice, setNotice] = useState<{ tone: 'success' | 'warning'; text: string } | null>(null);
  const now = useNow(waiting !== null, ACTIVE_REFRESH_MS);

  const prune = useMutation({
    mutationFn: () => api<PruneRequested>(`/sources/${encodeURIComponent(sourceId)}/prune`, { method: 'POST' }),
    onSuccess: (result) => {
      setConfirming(false);
      setNotice(null);
      if (result.queued) {
        setWaiting({ since: Date.now(), work: plan.data ? plannedWork(plan.data) : [] });
      } else {
        setNotice({ tone: 'warning', text: 'The prune could not be queued just now; the workers’ hourly prune will apply the same plan.' });
      }
      void queryClient.invalidateQueries({ queryKey: keys.source(sourceId) });
    },
  });

  // A point that appeared (a backup finished) or went changes the plan. The first list loads with the plan itself.
  const pointIds = points?.map((p) => p.id).join(',');
  const seenIds = useRef(pointIds);
  useEffect(() => {
    const before = seenIds.current;
    seenIds.current = pointIds;
    if (before !== undefined && before !== pointIds) void queryClient.invalidateQueries({ queryKey: keys.pruningPlan(sourceId) });
  }, [pointIds, queryClient, sourceId]);

  // While the worker prunes, refresh everything about the source: the plan, the points, protection.
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void queryClient.invalidateQueries({ queryKey: keys.source(sourceId) }), ACTIVE_REFRESH_MS);
    return () => clearInterval(timer);
  }, [waiting, queryClient, sourceId]);

  // Done when a plan read after the request no longer lists any of the work it was asked to do.
  useEffect(() => {
    if (!waiting || !plan.data) return;
    const fresh = plan.dataUpdatedAt > waiting.since;
    const left = plannedWork(plan.data).filter((w) => waiting.work.includes(w));
    if (fresh && left.length === 0) {
      setWaiting(null);
      // The points list may have been read a moment before the plan that shows the work done: read everything once more.
      void queryClient.invalidateQueries({ queryKey: keys.source(sourceId) });
      setNotice({ tone: 'success', text: 'Prune done: the plan and the recovery points below are up to date.' });
    } else if (now - waiting.since > PRUNE_WAIT_MS) {
      setWaiting(null);
      setNotice({ tone: 'warning', text: 'The prune has not finished after a minute; the worker may be busy. Reload the page later to see its outcome.' });
    }
  }, [waiting, plan.data, plan.dataUpdatedAt, now, queryClient, sourceId]);

  const rows = plan.data ? planRows(plan.data) : [];
  const counts = plan.data ? pruneCounts(plan.data, points ?? []) : null;
  const nothingToDo = !counts || (counts.points + counts.primaries + counts.copies + counts.moves === 0);
  const multiScope = rows.some((r) => r.verdicts.some((v) => v.scope !== 'primary'));

  return (
    <section className="card" aria-labelledby="plan-heading" data-testid="pruning-plan">
      <div className="section-head">
        <h2 id="plan-heading">What the next prune would do</h2>
        {viewer.can.writeInventory && (
          <button
            type="button"
            className="btn btn-sm btn-danger"
            onClick={() => {
              prune.reset();
              setConfirming(true);
            }}
            disabled={!plan.data || nothingToDo || prune.isPending || waiting !== null}
            title={nothingToDo ? 'Nothing to delete or move' : undefined}
          >
            {waiting ? 'Pruning…' : 'Prune now'}
          </button>
        )}
      </div>
      <p className="muted small">
        A dry run{plan.data && <> at {formatDateTime(plan.data.now)}</>}: nothing is deleted until a prune runs (the workers prune every
        source with retention once an hour). {counts && <span data-testid="plan-summary">A prune now would delete {pruneSentence(counts)}</span>}
      </p>
      {waiting && <Alert tone="info">Prune requested; waiting for the worker…</Alert>}
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {prune.error && !confirming && <ErrorAlert title="The prune was not started" error={prune.error} />}
      <table className="table" aria-label="Pruning plan">
        <thead>
          <tr>
            <th>Point</th>
            <th>Time</th>
            <th className="num">Size</th>
            <th>Decision</th>
            <th>What a prune does</th>
            <th>Why</th>
            <th>Storage class</th>
          </tr>
        </thead>
        <tbody>
          <TableStatus colSpan={7} loading={plan.isPending} error={plan.error} empty={rows.length === 0 && 'No recovery points: nothing to plan.'} />
          {rows.map((r) => (
            <tr key={r.id} data-testid="plan-row" data-decision={r.decision}>
              <td className="mono" title={r.id}>
                {r.id.slice(0, 8)}
              </td>
              <td>{formatDateTime(r.createdAt)}</td>
              <td className="num">{formatBytes(r.sizeBytes)}</td>
              <td>
                <span className={`badge ${DECISION_TONE[r.decision]}`}>{r.decision}</span>
              </td>
              <td>{r.actions.length === 0 ? <span className="muted">nothing</span> : <LineList items={r.actions} />}</td>
              <td>
                <ul className="plain-list">
                  {r.verdicts.map((v, i) => (
                    <li key={i} data-verdict={v.verdict}>
                      {multiScope && <span className="muted">{v.scope}: </span>}
                      {v.verdict === 'keep' ? 'kept: ' : v.verdict === 'delete' ? 'deleted: ' : ''}
                      {v.text}
                    </li>
                  ))}
                </ul>
              </td>
              <td>{r.moves.length === 0 ? <span className="muted">—</span> : <LineList items={r.moves} />}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <Modal title="Prune now" open={confirming} onClose={() => setConfirming(false)}>
        {confirming && counts && (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              prune.mutate();
            }}
          >
            <p data-testid="prune-confirm-summary">
              <strong>This prune deletes {pruneSentence(counts)}</strong>
            </p>
            {counts.moves > 0 && (
              <p>
                It also moves {counts.moves === 1 ? '1 object' : `${counts.moves} objects`} to a colder storage class (S3 destinations only).
              </p>
            )}
            <p className="muted small">
              As planned now: the worker plans again when it runs and re-checks every hold and lock, so a point protected in the
              meantime is kept. Deleted objects cannot be recovered.
            </p>
            {prune.error && <ErrorAlert title="The prune was not started" error={prune.error} />}
            <FormActions
              onCancel={() => setConfirming(false)}
              submitLabel="Prune now"
              pendingLabel="Starting…"
              pending={prune.isPending}
              danger
            />
          </form>
        )}
      </Modal>
    </section>
  );
}

function LineList({ items }: { items: string[] }) {
  return (
    <ul className="plain-list">
      {items.map((item) => (
        <li key={item}>{item}</li>
      ))}
    </ul>
  );
}
