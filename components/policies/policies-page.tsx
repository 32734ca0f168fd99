'use client';

import Link from 'next/link';
import { Fragment, useState } from 'react';
import { usePolicies, useSources } from '@/components/api/queries';
import type { Policy, PolicyCopy, Source } from '@/components/api/types';
import { useViewer } from '@/components/layout/viewer';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { Modal } from '@/components/ui/modal';
import { PageHeader } from '@/components/ui/page-header';
import { DeletePolicyForm, EditPolicyForm } from './edit-policy-form';
import { NewPolicyForm } from './new-policy-form';
import { useUpdatePolicy } from './policy-mutations';
import { ScheduleEditorForm } from './schedule-editor';
import { ScheduleList } from './schedule-list';
import { CopyRetentionForm, PolicyRetentionForm, RemoveRetentionForm } from './retention-editor';
import { FOLLOWS_POINT, RetentionSummary } from './retention-summary';

/** Which dialog is open, on which policy (and copy destination). */
type Editing =
  | { kind: 'retention'; policy: Policy }
  | { kind: 'remove'; policy: Policy }
  | { kind: 'copy'; policy: Policy; copy: PolicyCopy }
  | { kind: 'schedules'; policy: Policy }
  | { kind: 'edit'; policy: Policy }
  | { kind: 'delete'; policy: Policy };

function dialogTitle(editing: Editing | null): string {
  if (!editing) return '';
  if (editing.kind === 'retention') return `Retention of ${editing.policy.name}`;
  if (editing.kind === 'remove') return 'Remove retention';
  if (editing.kind === 'schedules') return `Schedules of ${editing.policy.name}`;
  if (editing.kind === 'edit') return `Edit ${editing.policy.name}`;
  if (editing.kind === 'delete') return 'Delete policy';
  return `Retention of the copies on ${editing.copy.destinationName}`;
}

/**
 * The policies: where backups go, how they are packed and how long they are kept (primary and each copy destination),
 * in words. Operators edit retention and create policies here; the server still authorizes every request.
 */
export function PoliciesPage() {
  const viewer = useViewer();
  const policies = usePolicies();
  const sources = useSources();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const canEdit = viewer.can.writeInventory;

  const open = (e: Editing) => {
    setNotice(null);
    setEditing(e);
  };
  const saved = (message: string) => {
    setEditing(null);
    setNotice(message);
  };
  const sourcesOf = (policyId: string): Source[] | null => sources.data?.filter((s) => s.policyId === policyId) ?? null;
  const rows = policies.data ?? [];

  return (
    <>
      <PageHeader
        title="Policies"
        subtitle="Where backups go, how they are packed, and how long they are kept."
        actions={
          canEdit &&
          !creating && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => {
                setNotice(null);
                setCreating(true);
              }}
            >
              New policy
            </button>
          )
        }
      />
      {creating && (
        <NewPolicyForm
          onCancel={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            setNotice(`Policy “${p.name}” created.`);
          }}
        />
      )}
      {notice && (
        <Alert tone="success" testId="policy-notice">
          {notice}
        </Alert>
      )}
      {policies.isPending && <p className="muted">Loading…</p>}
      {policies.error && <ErrorAlert title="The policies could not be loaded" error={policies.error} />}
      {policies.isSuccess && rows.length === 0 && (
        <div className="card">
          <p className="muted">
            No policies yet. A source without a policy is backed up to the default destination, compressed and encrypted, and keeps
            everything.
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <ul className="policy-list" aria-label="Policies">
          {rows.map((p) => (
            <li key={p.id}>
              <PolicyCard policy={p} sources={sourcesOf(p.id)} canEdit={canEdit} onEdit={open} onNotice={setNotice} />
            </li>
          ))}
        </ul>
      )}

      <Modal
        title={dialogTitle(editing)}
        open={editing !== null}
        onClose={() => setEditing(null)}
        wide={editing?.kind !== 'remove' && editing?.kind !== 'delete' && editing?.kind !== 'edit'}
      >
        {editing?.kind === 'schedules' && (
          <ScheduleEditorForm key={editing.policy.id} policy={editing.policy} onClose={() => setEditing(null)} onSaved={saved} />
        )}
        {editing?.kind === 'edit' && <EditPolicyForm key={editing.policy.id} policy={editing.policy} onClose={() => setEditing(null)} onSaved={saved} />}
        {editing?.kind === 'delete' && (
          <DeletePolicyForm key={editing.policy.id} policy={editing.policy} onClose={() => setEditing(null)} onDeleted={saved} />
        )}
        {editing?.kind === 'retention' && (
          <PolicyRetentionForm key={editing.policy.id} policy={editing.policy} onClose={() => setEditing(null)} onSaved={saved} />
        )}
        {editing?.kind === 'remove' && (
          <RemoveRetentionForm
            key={editing.policy.id}
            policy={editing.policy}
            sourceCount={sourcesOf(editing.policy.id)?.length ?? null}
            onClose={() => setEditing(null)}
            onSaved={saved}
          />
        )}
        {editing?.kind === 'copy' && (
          <CopyRetentionForm
            key={`${editing.policy.id}:${editing.copy.destinationId}`}
            policy={editing.policy}
            copy={editing.copy}
            onClose={() => setEditing(null)}
            onSaved={saved}
          />
        )}
      </Modal>
    </>
  );
}

function PolicyCard({
  policy: p,
  sources,
  canEdit,
  onEdit,
  onNotice,
}: {
  policy: Policy;
  /** Null while the source list loads (or failed). */
  sources: Source[] | null;
  canEdit: boolean;
  onEdit: (e: Editing) => void;
  onNotice: (message: string | null) => void;
}) {
  const headingId = `policy-${p.id}`;
  const pause = useUpdatePolicy(p.id);
  return (
    <article className="card policy" aria-labelledby={headingId} data-testid="policy">
      <div className="section-head">
        <span className="inline-flex">
          <h2 id={headingId}>{p.name}</h2>
          {p.paused && (
            <span className="badge badge-warning" data-testid="policy-paused">
              paused
            </span>
          )}
        </span>
        {canEdit && (
          <span className="inline-flex">
            <button
              type="button"
              className="btn btn-sm"
              disabled={pause.isPending}
              onClick={() =>
                pause.mutate(
                  { paused: !p.paused },
                  { onSuccess: (u) => onNotice(u.paused ? `Policy “${u.name}” paused: its schedules fire nothing.` : `Policy “${u.name}” resumed.`) },
                )
              }
            >
              {p.paused ? 'Resume' : 'Pause'}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => onEdit({ kind: 'edit', policy: p })}>
              Edit…
            </button>
            <button type="button" className="btn btn-sm btn-danger" onClick={() => onEdit({ kind: 'delete', policy: p })}>
              Delete…
            </button>
          </span>
        )}
      </div>
      {pause.error && <ErrorAlert title={p.paused ? 'The policy was not resumed' : 'The policy was not paused'} error={pause.error} />}
      <dl className="config policy-facts">
        <div>
          <dt>Stored on</dt>
          <dd data-testid="policy-destination">{p.destinationName}</dd>
        </div>
        <div>
          <dt>Compression</dt>
          <dd data-testid="policy-compression">{p.compressionLevel === null ? 'none' : `zstd level ${p.compressionLevel}`}</dd>
        </div>
        <div>
          <dt>Encryption</dt>
          <dd data-testid="policy-encryption">
            {p.encrypt ? <span className="badge badge-success">on</span> : <span className="badge badge-warning">off</span>}
          </dd>
        </div>
        <div>
          <dt>Sources</dt>
          <dd data-testid="policy-sources">
            {sources === null ? (
              <span className="muted">—</span>
            ) : sources.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              <>
                {sources.length}:{' '}
                {sources.map((s, i) => (
                  <Fragment key={s.id}>
                    {i > 0 && ', '}
                    <Link href={`/sources/${s.id}`}>{s.name}</Link>
                  </Fragment>
                ))}
              </>
            )}
          </dd>
        </div>
      </dl>

      <div className="section-head">
        <h3 className="subheading">Schedules</h3>
        {canEdit && (
          <button type="button" className="btn btn-sm" onClick={() => onEdit({ kind: 'schedules', policy: p })}>
            Edit schedules…
          </button>
        )}
      </div>
      <ScheduleList policy={p} />

      <div className="section-head">
        <h3 className="subheading">Retention</h3>
        {canEdit && (
          <span className="inline-flex">
            {p.retention !== null && (
              <button type="button" className="btn btn-sm btn-danger" onClick={() => onEdit({ kind: 'remove', policy: p })}>
                Remove retention…
              </button>
            )}
            <button type="button" className="btn btn-sm" onClick={() => onEdit({ kind: 'retention', policy: p })}>
              Edit retention…
            </button>
          </span>
        )}
      </div>
      <RetentionSummary retention={p.retention} scope="policy" testId="policy-retention" />

      <h3 className="subheading">Copies</h3>
      {p.copies.length === 0 ? (
        <p className="muted">No copy destination: backups are stored on {p.destinationName} only.</p>
      ) : (
        <ul className="policy-copies" aria-label={`Copy destinations of ${p.name}`}>
          {p.copies.map((c) => (
            <li key={c.destinationId} data-testid="policy-copy">
              <div className="section-head">
                <span>
                  <strong>{c.destinationName}</strong>{' '}
                  <span className={`badge ${c.retention === null ? 'badge-neutral' : 'badge-info'}`}>
                    {c.retention === null ? 'follows its point' : 'own retention'}
                  </span>
                </span>
                {canEdit && (
                  <button
                    type="button"
                    className="btn btn-sm"
                    aria-label={`Edit the retention of the copies on ${c.destinationName}`}
                    onClick={() => onEdit({ kind: 'copy', policy: p, copy: c })}
                  >
                    Edit retention…
                  </button>
                )}
              </div>
              {c.retention === null ? <p>{FOLLOWS_POINT}</p> : <RetentionSummary retention={c.retention} scope="copy" />}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
