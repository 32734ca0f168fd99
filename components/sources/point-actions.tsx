'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api/client';
import { keys, useSource } from '@/components/api/queries';
import type { DeleteResult, LegalHoldResult, LockResult, RecoveryPoint } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatDate, formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { FormActions } from '@/components/ui/form-actions';

/** Which retention action is open, on which point. */
export type PointAction = { kind: 'hold' | 'lock' | 'delete'; point: RecoveryPoint };

const isLocked = (p: RecoveryPoint, now = Date.now()) => p.lockedUntil !== null && Date.parse(p.lockedUntil) > now;

/** "legal hold" and "locked until …" badges; the point's protections against deletion. */
export function RetentionBadges({ point }: { point: RecoveryPoint }) {
  const locked = isLocked(point);
  if (!point.legalHold && !locked) return <span className="muted">—</span>;
  return (
    <span className="badge-stack">
      {point.legalHold && (
        <span className="badge badge-warning" data-testid="hold-badge" title="Under legal hold: never deleted until the hold is released">
          legal hold
        </span>
      )}
      {locked && (
        <span className="badge badge-info" data-testid="lock-badge" title={`Locked until ${formatDateTime(point.lockedUntil)}`}>
          locked until {formatDate(point.lockedUntil)}
        </span>
      )}
    </span>
  );
}

/** The hold, lock and delete dialogs of the recovery point table; one at a time. */
export function PointActionDialog({
  action,
  sourceId,
  onClose,
  onDeleted,
}: {
  action: PointAction | null;
  sourceId: string;
  onClose: () => void;
  /** After a deletion: whether the stored objects went too (false leaves orphans the server logged). */
  onDeleted: (result: DeleteResult) => void;
}) {
  const title =
    action?.kind === 'hold'
      ? action.point.legalHold
        ? 'Release legal hold'
        : 'Place legal hold'
      : action?.kind === 'lock'
        ? 'Lock recovery point'
        : 'Delete recovery point';
  return (
    <Modal title={title} open={action !== null} onClose={onClose}>
      {action?.kind === 'hold' && <HoldForm key={action.point.id} point={action.point} sourceId={sourceId} onClose={onClose} />}
      {action?.kind === 'lock' && <LockForm key={action.point.id} point={action.point} sourceId={sourceId} onClose={onClose} />}
      {action?.kind === 'delete' && (
        <DeleteForm key={action.point.id} point={action.point} sourceId={sourceId} onClose={onClose} onDeleted={onDeleted} />
      )}
    </Modal>
  );
}

/** Everything under the source (its points, the dry run, protection) may change after any of these actions. */
function useRefreshSource(sourceId: string) {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: keys.source(sourceId) });
}

function PointLine({ point }: { point: RecoveryPoint }) {
  return (
    <p className="muted">
      The backup of {formatDateTime(point.createdAt)} ({formatBytes(point.totalBytes)}), point <span className="mono">{point.id}</span>.
    </p>
  );
}

function ReasonField({ id, value, onChange, placeholder }: { id: string; value: string; onChange: (v: string) => void; placeholder: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>Reason</label>
      <input id={id} name="reason" required maxLength={500} autoFocus placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
      <small className="muted">Recorded in the audit trail.</small>
    </div>
  );
}

function HoldForm({ point, sourceId, onClose }: { point: RecoveryPoint; sourceId: string; onClose: () => void }) {
  const refresh = useRefreshSource(sourceId);
  const [reason, setReason] = useState('');
  const placing = !point.legalHold;
  const hold = useMutation({
    mutationFn: () =>
      api<LegalHoldResult>(`/recovery-points/${encodeURIComponent(point.id)}/hold`, { method: 'POST', body: { hold: placing, reason: reason.trim() } }),
    onSuccess: async () => {
      await refresh();
      onClose();
    },
  });
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        hold.mutate();
      }}
    >
      <PointLine point={point} />
      <p>
        {placing
          ? 'A point under legal hold is never deleted, by retention or by hand, until the hold is released.'
          : 'Once released, retention may delete this point at its next prune if no rule keeps it.'}
      </p>
      <ReasonField id="hold-reason" value={reason} onChange={setReason} placeholder={placing ? 'e.g. litigation LEGAL-42' : 'e.g. case LEGAL-42 closed'} />
      {hold.error && <ErrorAlert title={placing ? 'The hold was not placed' : 'The hold was not released'} error={hold.error} />}
      <FormActions
        onCancel={onClose}
        submitLabel={placing ? 'Place hold' : 'Release hold'}
        pendingLabel="Saving…"
        pending={hold.isPending}
        disabled={reason.trim() === ''}
      />
    </form>
  );
}

/** `YYYY-MM-DD` of a local date, the value format of `<input type="date">`. */
function dateInputValue(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The instant a chosen day stands for: its start, on the operator's own clock. */
const startOfDay = (value: string): Date | null => {
  const d = new Date(`${value}T00:00:00`);
  return Number.isNaN(d.getTime()) ? null : d;
};

function LockForm({ point, sourceId, onClose }: { point: RecoveryPoint; sourceId: string; onClose: () => void }) {
  const refresh = useRefreshSource(sourceId);
  // The source page has it cached already: the confirmation is its name (server/retention/set-retention-lock.ts).
  const sourceName = useSource(sourceId).data?.name ?? null;
  const [day, setDay] = useState('');
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState('');
  const [failures, setFailures] = useState<LockResult['objectLocks']>([]);
  const locked = isLocked(point);
  // The earliest day worth offering: tomorrow, or the current lock's day (a lock can only be extended).
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  const floor = locked && Date.parse(point.lockedUntil!) > tomorrow.getTime() ? new Date(point.lockedUntil!) : tomorrow;
  const until = day ? startOfDay(day) : null;
  const lock = useMutation({
    mutationFn: () =>
      api<LockResult>(`/recovery-points/${encodeURIComponent(point.id)}/lock`, {
        method: 'POST',
        body: { until: until!.toISOString(), reason: reason.trim(), confirm },
      }),
    onSuccess: async (result) => {
      await refresh();
      const failed = result.objectLocks.filter((o) => !o.ok);
      // The catalog lock stands either way; keep the dialog open so the storage failures are read.
      if (failed.length > 0) setFailures(failed);
      else onClose();
    },
  });
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        if (until) lock.mutate();
      }}
    >
      <PointLine point={point} />
      <p data-testid="current-lock">
        {locked ? (
          <>
            Locked until <strong>{formatDateTime(point.lockedUntil)}</strong>.
          </>
        ) : (
          'Not locked.'
        )}
      </p>
      <p className="muted small">
        A locked point cannot be deleted before its date, by retention or by hand. A lock can only be extended: once set, its date
        can never be moved earlier or removed.
      </p>
      <div className="field">
        <label htmlFor="lock-until">Locked until</label>
        <input id="lock-until" name="until" type="date" required min={dateInputValue(floor)} value={day} onChange={(e) => setDay(e.target.value)} />
        <small className="muted">{until ? `Until ${formatDateTime(until.toISOString())}, your time.` : 'The start of that day, your time.'}</small>
      </div>
      <ReasonField id="lock-reason" value={reason} onChange={setReason} placeholder="e.g. quarterly archive, audit 2026-Q1" />
      <div className="field">
        <label htmlFor="lock-confirm">
          Type <strong className="mono">{sourceName ?? 'the source name'}</strong> to confirm
        </label>
        <input id="lock-confirm" autoComplete="off" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        <small className="muted">Nobody can undo a lock, not even an admin.</small>
      </div>
      {lock.error && <ErrorAlert title="The point was not locked" error={lock.error} />}
      {failures.length > 0 && (
        <Alert tone="warning" title="Locked in the catalog, but not on every storage">
          <ul>
            {failures.map((f) => (
              <li key={f.destinationId}>
                destination <span className="mono">{f.destinationId}</span>: {f.error ?? 'failed'}
              </li>
            ))}
          </ul>
          Fix the bucket, then lock again with the same date to retry.
        </Alert>
      )}
      <FormActions
        onCancel={onClose}
        cancelLabel={failures.length > 0 ? 'Close' : 'Cancel'}
        submitLabel="Lock"
        pendingLabel="Locking…"
        pending={lock.isPending}
        disabled={!until || reason.trim() === '' || sourceName === null || confirm !== sourceName}
      />
    </form>
  );
}

function DeleteForm({
  point,
  sourceId,
  onClose,
  onDeleted,
}: {
  point: RecoveryPoint;
  sourceId: string;
  onClose: () => void;
  onDeleted: (result: DeleteResult) => void;
}) {
  const refresh = useRefreshSource(sourceId);
  const remove = useMutation({
    mutationFn: () => api<DeleteResult>(`/recovery-points/${encodeURIComponent(point.id)}`, { method: 'DELETE' }),
    onSuccess: async (result) => {
      await refresh();
      onDeleted(result);
      onClose();
    },
  });
  const objects = (point.primaryDeletedAt === null ? 1 : 0) + point.storedCopies.extra.length;
  // The server decides; these only say beforehand why it will refuse.
  const protections = [
    point.legalHold && 'it is under legal hold (release the hold first)',
    isLocked(point) && `it is locked until ${formatDateTime(point.lockedUntil)}`,
  ].filter((p): p is string => typeof p === 'string');
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        remove.mutate();
      }}
    >
      <PointLine point={point} />
      <p>
        Deletes the point and its {objects === 1 ? 'stored object' : `${objects} stored objects`} (data and manifest) on every
        destination. This cannot be undone.
      </p>
      {protections.length > 0 && (
        <Alert tone="warning" title="The server will refuse">
          This point cannot be deleted: {protections.join('; ')}.
        </Alert>
      )}
      {remove.error && <ErrorAlert title="The recovery point was not deleted" error={remove.error} testId="delete-error" />}
      <FormActions onCancel={onClose} submitLabel="Delete for good" pendingLabel="Deleting…" pending={remove.isPending} danger />
    </form>
  );
}
