'use client';

import Link from 'next/link';
import { useState } from 'react';
import { useDestinations } from '@/components/api/queries';
import type { Destination } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert } from '@/components/ui/alert';
import { formatBytes } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { PageHeader } from '@/components/ui/page-header';
import { TableStatus } from '@/components/ui/query-state';
import { DestinationForm } from './destination-form';

type Dialog = { kind: 'new' } | { kind: 'edit'; destination: Destination };

/** Where a destination writes, in one line: its directory, or its bucket (and folder) at its endpoint. */
function whereOf(d: Destination): string {
  const c = (d.config ?? {}) as Record<string, unknown>;
  if (typeof c.path === 'string') return c.path;
  if (typeof c.bucket === 'string') {
    const folder = typeof c.prefix === 'string' && c.prefix ? `/${c.prefix}` : '';
    const at = typeof c.endpoint === 'string' ? ` at ${c.endpoint}` : typeof c.region === 'string' ? ` (${c.region})` : '';
    return `${c.bucket}${folder}${at}`;
  }
  return '—';
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/**
 * Every destination: its kind, where it writes, what it stores, its offsite/immutable flags and the policies
 * writing to it. Admins create and edit (`destination:write`); everyone else reads.
 */
export function DestinationsPage() {
  const viewer = useViewer();
  const destinations = useDestinations();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canEdit = viewer.can.manageDestinations;
  const rows = destinations.data ?? [];
  const cols = canEdit ? 7 : 6;

  const saved = (message: string) => {
    setDialog(null);
    setNotice(message);
  };

  return (
    <>
      <PageHeader
        title="Destinations"
        subtitle="Where backups are stored, how much each holds, and the policies writing to it."
        actions={
          canEdit && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => {
                setNotice(null);
                setDialog({ kind: 'new' });
              }}
            >
              New destination
            </button>
          )
        }
      />
      {notice && (
        <Alert tone="success" testId="destinations-notice">
          {notice}
        </Alert>
      )}
      <section className="card">
        {/* A narrow screen scrolls the table sideways rather than squeezing its columns into word stacks. */}
        <div className="table-scroll">
          <table className="table" aria-label="Destinations">
            <thead>
              <tr>
                <th>Destination</th>
                <th>Kind</th>
                <th>Where</th>
                <th className="num">Used</th>
                <th>Flags</th>
                <th>Policies</th>
                {canEdit && (
                  <th className="actions-col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              <TableStatus
                colSpan={cols}
                loading={destinations.isPending}
                error={destinations.error}
                empty={rows.length === 0 && (canEdit ? 'No destinations yet: create one to store backups.' : 'No destinations yet: an admin creates them.')}
              />
              {rows.map((d) => (
                <tr key={d.id} data-testid="destination-row">
                  <td>
                    <strong>{d.name}</strong>
                    {d.isDefault && <span className="badge badge-neutral badge-inline">default</span>}
                  </td>
                  <td>{d.kindLabel}</td>
                  <td className="break-anywhere">
                    <code>{whereOf(d)}</code>
                  </td>
                  <td className="num" data-testid="destination-used">
                    {formatBytes(d.usedBytes)}
                    <div className="muted small">{plural(d.pointCount, 'point', 'points')}</div>
                  </td>
                  <td>
                    <span className="badge-stack">
                      {d.offsite && <span className="badge badge-info">offsite</span>}
                      {d.immutable && <span className="badge badge-success">immutable</span>}
                      {!d.offsite && !d.immutable && <span className="muted">—</span>}
                    </span>
                  </td>
                  <td>
                    {d.policies.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <ul className="plain-list">
                        {d.policies.map((p) => (
                          <li key={`${p.id}-${p.role}`}>
                            <Link href="/policies">{p.name}</Link> <span className="muted small">{p.role === 'primary' ? 'primary' : 'copy'}</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  {canEdit && (
                    <td className="actions-col">
                      <button type="button" className="btn btn-sm" aria-label={`Edit destination ${d.name}`} onClick={() => setDialog({ kind: 'edit', destination: d })}>
                        Edit…
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <Modal title={dialog?.kind === 'edit' ? `Edit ${dialog.destination.name}` : 'New destination'} open={dialog !== null} onClose={() => setDialog(null)}>
        {dialog && (
          <DestinationForm
            key={dialog.kind === 'edit' ? dialog.destination.id : 'new'}
            destination={dialog.kind === 'edit' ? dialog.destination : undefined}
            onClose={() => setDialog(null)}
            onSaved={saved}
          />
        )}
      </Modal>
    </>
  );
}
