'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, API_BASE, ApiError } from '@/components/api/client';
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
  const [exporting, setExporting] = useState(false);
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
            <button type="button" className="btn" onClick={() => setExporting(true)} disabled={exporting} data-testid="recovery-kit-open">
              Download recovery kit…
            </button>
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
      {exporting && <RecoveryKitForm onDone={() => setExporting(false)} />}
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

/**
 * The kit holds every secret key: the server wants the password again (and refuses API tokens), so this is a
 * POST with the password, saved by the browser as a file.
 */
function RecoveryKitForm({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const download = useMutation({
    mutationFn: async () => {
      let res: Response;
      try {
        res = await fetch(`${API_BASE}/keys/recovery-kit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ password }),
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch {
        throw new ApiError(0, 'NETWORK', 'Cannot reach the Lifeboat server; check your connection');
      }
      if (!res.ok) {
        const err = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null)?.error;
        throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `Request failed (${res.status})`);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'lifeboat-recovery-kit.txt';
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(url);
    },
    onSuccess: () => {
      setPassword('');
      onDone();
    },
  });
  return (
    <section className="card" aria-labelledby="kit-heading">
      <h2 id="kit-heading">Download the recovery kit</h2>
      <p className="muted">Enter your password again. The download is recorded in the audit trail with your address.</p>
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          download.mutate();
        }}
      >
        <div className="field grow">
          <label htmlFor="kit-password">Your password</label>
          <input id="kit-password" type="password" autoComplete="current-password" required autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="btn btn-primary" disabled={download.isPending || password === ''} data-testid="recovery-kit-download">
          {download.isPending ? 'Preparing…' : 'Download'}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </form>
      {download.error && <ErrorAlert title="The recovery kit was not exported" error={download.error} testId="recovery-kit-error" />}
    </section>
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
