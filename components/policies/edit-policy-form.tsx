'use client';

import { useId, useState } from 'react';
import { ApiError } from '@/components/api/client';
import type { Policy } from '@/components/api/types';
import { ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { useDeletePolicy, useUpdatePolicy } from './policy-mutations';

// zstd's levels without --ultra (create-policy.ts).
const LEVELS = Array.from({ length: 19 }, (_, i) => i + 1);
const NO_COMPRESSION = 'none';

type Field = 'name' | 'compressionLevel' | 'encrypt' | 'maxConcurrentPerDestination';

/** Edits a policy's name, compression, encryption and concurrency limit (`PATCH /policies/{id}`); the next runs follow. */
export function EditPolicyForm({ policy, onClose, onSaved }: { policy: Policy; onClose: () => void; onSaved: (message: string) => void }) {
  const ids = useId();
  const [name, setName] = useState(policy.name);
  const [compression, setCompression] = useState(policy.compressionLevel === null ? NO_COMPRESSION : String(policy.compressionLevel));
  const [encrypt, setEncrypt] = useState(policy.encrypt);
  const [limit, setLimit] = useState(policy.maxConcurrentPerDestination === null ? '' : String(policy.maxConcurrentPerDestination));
  const save = useUpdatePolicy(policy.id);
  const errors: Partial<Record<Field, string>> = {};
  if (save.error instanceof ApiError) {
    for (const i of save.error.issues) {
      const f = String(i.path[0]) as Field;
      if (!errors[f]) errors[f] = i.message;
    }
  }
  const cls = (f: Field) => `field${errors[f] ? ' field-invalid' : ''}`;
  const note = (f: Field) =>
    errors[f] && (
      <small className="field-error" id={`${ids}-${f}-error`}>
        {errors[f]}
      </small>
    );
  const aria = (f: Field) => ({ id: `${ids}-${f}`, 'aria-invalid': errors[f] ? true : undefined, 'aria-describedby': errors[f] ? `${ids}-${f}-error` : undefined });
  return (
    <form
      className="form"
      noValidate
      aria-label={`Edit ${policy.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(
          {
            name: name.trim(),
            compressionLevel: compression === NO_COMPRESSION ? null : Number(compression),
            encrypt,
            // Empty: no limit. Anything else goes as a number for the server to judge ("1.5" → its message).
            maxConcurrentPerDestination: limit.trim() === '' ? null : Number(limit),
          },
          { onSuccess: (p) => onSaved(`Policy “${p.name}” saved.`) },
        );
      }}
    >
      <div className={cls('name')}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} {...aria('name')} />
        {note('name')}
      </div>
      <div className={cls('compressionLevel')}>
        <label htmlFor={`${ids}-compressionLevel`}>Compression</label>
        <select value={compression} onChange={(e) => setCompression(e.target.value)} {...aria('compressionLevel')}>
          {LEVELS.map((n) => (
            <option key={n} value={String(n)}>
              zstd {n}
            </option>
          ))}
          <option value={NO_COMPRESSION}>None</option>
        </select>
        {note('compressionLevel')}
      </div>
      <div className={cls('encrypt')}>
        <label className="checkbox">
          <input type="checkbox" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} />
          <span>Encrypt backups</span>
        </label>
        {!encrypt && <small className="field-error">New backups are stored in clear: anyone who can read the destination can read them.</small>}
      </div>
      <div className={cls('maxConcurrentPerDestination')}>
        <label htmlFor={`${ids}-maxConcurrentPerDestination`}>Scheduled runs at once per destination</label>
        <input inputMode="numeric" autoComplete="off" value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="no limit" {...aria('maxConcurrentPerDestination')} />
        {note('maxConcurrentPerDestination') || <small className="muted">Empty: no limit.</small>}
      </div>
      <p className="muted small">Applies to the next runs; stored backups keep how they were written.</p>
      {save.error && <ErrorAlert title="The policy was not saved" error={save.error} testId="edit-policy-error" />}
      <FormActions onCancel={onClose} submitLabel="Save policy" pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

/** The confirmation of "Delete policy"; a policy still in use is refused by the server (409) and the reason shown. */
export function DeletePolicyForm({ policy, onClose, onDeleted }: { policy: Policy; onClose: () => void; onDeleted: (message: string) => void }) {
  const del = useDeletePolicy(policy.id);
  return (
    <form
      className="form"
      aria-label={`Delete ${policy.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        del.mutate(undefined, { onSuccess: () => onDeleted(`Policy “${policy.name}” deleted.`) });
      }}
    >
      <p>
        Delete the policy <strong>{policy.name}</strong>? Its schedules stop. Stored backups are kept where they are. A policy that
        sources still use cannot be deleted: give them another policy first.
      </p>
      {del.error && <ErrorAlert title="The policy was not deleted" error={del.error} testId="delete-policy-error" />}
      <FormActions onCancel={onClose} submitLabel="Delete policy" pendingLabel="Deleting…" pending={del.isPending} danger />
    </form>
  );
}
