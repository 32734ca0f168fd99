'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/components/api/client';
import { keys, useTokens } from '@/components/api/queries';
import type { ApiToken, CreatedApiToken } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert, ErrorMessage } from '@/components/ui/alert';
import { formatDateTime } from '@/components/ui/format';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';

const ROLES = ['VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN'] as const;

export function TokensPage() {
  const viewer = useViewer();
  const tokens = useTokens(viewer.can.manageTokens);
  if (!viewer.can.manageTokens) {
    return (
      <>
        <PageHeader title="API tokens" />
        <Alert tone="warning">Only admins manage API tokens.</Alert>
      </>
    );
  }
  const rows = tokens.data ?? [];
  return (
    <>
      <PageHeader title="API tokens" subtitle="For scripts and CI: send as “Authorization: Bearer <token>”." />
      <CreateTokenForm />
      <div className="card">
        <table className="table" aria-label="API tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Prefix</th>
              <th>Owner</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            <TableStatus colSpan={8} loading={tokens.isPending} error={tokens.error} empty={rows.length === 0 && 'No tokens yet.'} />
            {rows.map((t) => (
              <TokenRow key={t.id} t={t} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function TokenRow({ t }: { t: ApiToken }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const revoke = useMutation({
    mutationFn: () => api<ApiToken>(`/tokens/${t.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setAsking(false);
      void queryClient.invalidateQueries({ queryKey: keys.tokens });
    },
  });
  return (
    <tr data-testid="token-row" className={t.revokedAt ? 'revoked' : undefined}>
      <td>
        {t.name}
        {t.revokedAt && (
          <span className="badge badge-warning badge-inline" title={`revoked ${formatDateTime(t.revokedAt)}`}>
            revoked
          </span>
        )}
      </td>
      <td>{t.role.toLowerCase()}</td>
      <td className="mono">{t.prefix}…</td>
      <td>{t.owner}</td>
      <td>{formatDateTime(t.createdAt)}</td>
      <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <span className="muted">never</span>}</td>
      <td>{t.expiresAt ? formatDateTime(t.expiresAt) : <span className="muted">never</span>}</td>
      <td>
        {!t.revokedAt && !asking && (
          <button type="button" className="btn btn-sm btn-danger" onClick={() => setAsking(true)}>
            Revoke…
          </button>
        )}
        {!t.revokedAt && asking && (
          <span className="form-inline">
            {/* One more click, not a typed name: a revoked token is replaced by a new one in seconds. */}
            <button type="button" className="btn btn-sm btn-danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
              {revoke.isPending ? 'Revoking…' : `Revoke ${t.name}`}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setAsking(false)}>
              Cancel
            </button>
          </span>
        )}
        {revoke.error && (
          <span className="danger-text">
            <ErrorMessage error={revoke.error} />
          </span>
        )}
      </td>
    </tr>
  );
}

function CreateTokenForm() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('OPERATOR');
  const [expires, setExpires] = useState('');
  const [copied, setCopied] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      api<CreatedApiToken>('/tokens', {
        method: 'POST',
        body: { name: name.trim(), role, ...(expires ? { expiresInDays: Number(expires) } : {}) },
      }),
    onSuccess: () => {
      setName('');
      setCopied(false);
      void queryClient.invalidateQueries({ queryKey: keys.tokens });
    },
  });

  return (
    <section className="card" aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">New token</h2>
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <div className="field grow">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-nightly" />
        </div>
        <div className="field">
          <label htmlFor="token-role">Role</label>
          <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r.toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-expires">Expires in (days)</label>
          <input id="token-expires" type="number" min={1} max={365} placeholder="never" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {create.error && <ErrorAlert title="The token was not created" error={create.error} />}
      {create.data && (
        <Alert tone="success" title={`Token “${create.data.name}” created`} testId="new-token">
          <p>Copy it now: it is shown only this once and Lifeboat keeps only a hash.</p>
          <div className="token-box">
            <code className="mono" data-testid="new-token-value">
              {create.data.token}
            </code>
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => {
                void navigator.clipboard?.writeText(create.data.token).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </Alert>
      )}
    </section>
  );
}
