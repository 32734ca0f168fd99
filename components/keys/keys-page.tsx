'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api/client';
import { keys, useEncryptionKeys } from '@/components/api/queries';
import type { EncryptionKeyDto } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert, ErrorMessage } from '@/components/ui/alert';
import { formatDateTime } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';

/** Admin view of the age keys: rotate, download the recovery kit, crypto-shred a retired key. */
export function KeysPage() {
  const viewer = useViewer();
  const query = useEncryptionKeys(viewer.can.manageKeys);
  const queryClient = useQueryClient();
  const rotate = useMutation({
    mutationFn: () => api<EncryptionKeyDto>('/keys/rotate', { method: 'POST' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.encryptionKeys }),
  });
  if (!viewer.can.manageKeys) {
    return (
      <>
        <PageHeader title="Encryption keys" />
        <Alert tone="warning">Only admins manage encryption keys.</Alert>
      </>
    );
  }
  const rows = query.data ?? [];
  return (
    <>
      <PageHeader
        title="Encryption keys"
        subtitle="Backups are encrypted to the active age key. Older keys stay readable until shredded."
        actions={
          <>
            <a className="btn" href="/api/v1/keys/recovery-kit" download data-testid="recovery-kit-link">
              Download recovery kit
            </a>
            <button type="button" className="btn btn-primary" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
              {rotate.isPending ? 'Rotating…' : 'Rotate key'}
            </button>
          </>
        }
      />
      <Alert tone="warning" title="Keep the recovery kit offline">
        It holds every readable key and the instructions to restore without Lifeboat. Print it or store it on
        removable media in a safe; anyone holding it can read every backup.
      </Alert>
      {rotate.error && <ErrorAlert title="The key was not rotated" error={rotate.error} />}
      <div className="card">
        <table className="table" aria-label="Encryption keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Recipient</th>
              <th>State</th>
              <th>Created</th>
              <th>Recovery points</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={6} loading={query.isPending} error={query.error} empty={rows.length === 0 && 'No key yet: one is created with the first encrypted backup.'} />
            {rows.map((k) => (
              <KeyRow key={k.id} k={k} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function KeyRow({ k }: { k: EncryptionKeyDto }) {
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState('');
  const [asking, setAsking] = useState(false);
  const shred = useMutation({
    mutationFn: () => api<EncryptionKeyDto>(`/keys/${k.id}/shred`, { method: 'POST', body: { confirm } }),
    onSuccess: () => {
      setAsking(false);
      void queryClient.invalidateQueries({ queryKey: keys.encryptionKeys });
    },
  });
  const state = k.shreddedAt ? 'shredded' : k.active ? 'active' : 'retired';
  return (
    <tr data-testid="key-row">
      <td className="mono">{k.name}</td>
      <td className="mono" title={k.recipient}>
        {k.recipient.slice(0, 16)}…
      </td>
      <td>
        <span className={`badge ${state === 'active' ? 'badge-success' : state === 'shredded' ? 'badge-danger' : 'badge-neutral'}`}>{state}</span>
      </td>
      <td>{formatDateTime(k.createdAt)}</td>
      <td>{k.recoveryPointCount ?? 0}</td>
      <td>
        {state === 'retired' && !asking && (
          <button type="button" className="btn btn-sm btn-danger" onClick={() => setAsking(true)}>
            Shred…
          </button>
        )}
        {asking && (
          <form
            className="form form-inline"
            onSubmit={(e) => {
              e.preventDefault();
              shred.mutate();
            }}
          >
            <input aria-label={`Type ${k.name} to confirm`} placeholder={k.name} value={confirm} onChange={(e) => setConfirm(e.target.value)} />
            <button type="submit" className="btn btn-sm btn-danger" disabled={confirm !== k.name || shred.isPending}>
              Shred for good
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </form>
        )}
        {shred.error && <span className="danger-text">
            <ErrorMessage error={shred.error} />
          </span>}
      </td>
    </tr>
  );
}
