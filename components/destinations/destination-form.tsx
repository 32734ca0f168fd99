'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError, api } from '@/components/api/client';
import { keys } from '@/components/api/queries';
import type { Destination } from '@/components/api/types';
import { ErrorAlert } from '@/components/ui/alert';
import { fieldLabel } from '@/components/ui/error-text';
import { FormActions } from '@/components/ui/form-actions';

/** A setting a kind's form asks for; `secret` ones are never shown back and are kept unless typed again. */
interface Field {
  key: string;
  label: string;
  hint?: string;
  placeholder?: string;
  type?: 'text' | 'checkbox';
  required?: boolean;
  secret?: boolean;
}

/**
 * The settings each kind's form shows (the server's kind schema decides what is valid). Advanced S3 settings
 * (storage class, encryption, verify mode, Object Lock) are set through the API.
 */
const FIELDS: Record<string, Field[]> = {
  local: [{ key: 'path', label: 'Directory', placeholder: '/srv/backups', required: true, hint: 'An absolute path on the workers’ machines.' }],
  s3: [
    { key: 'endpoint', label: 'Endpoint', placeholder: 'https://s3.example.com', hint: 'Leave empty for AWS; MinIO, R2, Ceph… need theirs.' },
    { key: 'region', label: 'Region', placeholder: 'us-east-1', required: true },
    { key: 'bucket', label: 'Bucket', placeholder: 'lifeboat-backups', required: true },
    { key: 'prefix', label: 'Prefix', placeholder: 'lifeboat/prod', hint: 'Optional folder inside the bucket.' },
    { key: 'forcePathStyle', label: 'Path-style addressing (most S3-compatible stores)', type: 'checkbox' },
    { key: 'accessKeyId', label: 'Access key ID', secret: true, hint: 'Leave both keys empty to use the workers’ default credentials.' },
    { key: 'secretAccessKey', label: 'Secret access key', secret: true },
  ],
};

const KIND_LABELS: Record<string, string> = { local: 'Local disk', s3: 'S3 or S3-compatible' };

/** Labels for the server's field paths (`config.path` → "Directory"), so a refusal names what the form shows. */
function labelsFor(kind: string): Record<string, string> {
  const labels: Record<string, string> = { name: 'Name', offsite: 'Offsite', immutable: 'Immutable' };
  for (const f of FIELDS[kind] ?? []) labels[`config.${f.key}`] = f.label;
  return labels;
}

/** Where the objects of a destination are: changing these is refused while it holds points. */
const LOCATION_KEYS: Record<string, string[]> = { local: ['path'], s3: ['bucket', 'prefix'] };

/** Creates a destination (no `destination`) or edits one: name, flags and the settings its kind allows. */
export function DestinationForm({ destination, onClose, onSaved }: { destination?: Destination; onClose: () => void; onSaved: (message: string) => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const editing = destination !== undefined;
  const [kind, setKind] = useState(destination?.kind ?? 'local');
  const [name, setName] = useState(destination?.name ?? '');
  const [offsite, setOffsite] = useState(destination?.offsite ?? false);
  const [immutable, setImmutable] = useState(destination?.immutable ?? false);
  const stored = (destination?.config ?? {}) as Record<string, unknown>;
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries((FIELDS[kind] ?? []).map((f) => [f.key, f.type === 'checkbox' ? stored[f.key] === true : f.secret ? '' : String(stored[f.key] ?? '')])),
  );
  const fields = FIELDS[kind] ?? [];
  const locked = editing && destination.pointCount > 0 ? (LOCATION_KEYS[kind] ?? []) : [];
  const labels = labelsFor(kind);

  const save = useMutation({
    mutationFn: () => {
      const config: Record<string, unknown> = {};
      for (const f of fields) {
        const v = values[f.key];
        if (f.type === 'checkbox') config[f.key] = v === true;
        else if (typeof v === 'string' && v.trim() !== '') config[f.key] = v.trim();
        // Emptied on an edit: an optional setting is removed; an untouched secret is kept (never sent).
        else if (editing && !f.secret && stored[f.key] !== undefined) config[f.key] = null;
      }
      if (!editing) return api<Destination>('/destinations', { method: 'POST', body: { name: name.trim(), kind, config, offsite, immutable } });
      return api<Destination>(`/destinations/${encodeURIComponent(destination.id)}`, { method: 'PATCH', body: { name: name.trim(), offsite, immutable, config } });
    },
    onSuccess: async (saved) => {
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.destinations }), queryClient.invalidateQueries({ queryKey: keys.policies })]);
      onSaved(`Destination “${saved.name}” ${editing ? 'saved' : 'created'}.`);
    },
  });
  const issues = save.error instanceof ApiError ? save.error.issues : [];
  const fieldError = (path: string) => issues.find((i) => i.path.join('.') === path)?.message;
  const known = new Set(['name', ...fields.map((f) => `config.${f.key}`)]);
  const unplaced = issues.filter((i) => !known.has(i.path.join('.')));

  return (
    <form
      className="form"
      aria-label={editing ? `Edit destination ${destination.name}` : 'New destination'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className={`field${fieldError('name') ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!fieldError('name')} />
        {fieldError('name') ? <small className="field-error">{fieldError('name')}</small> : <small className="muted">How policies and lists name it, e.g. “eu-archive”.</small>}
      </div>
      <div className="field">
        <label htmlFor={`${ids}-kind`}>Kind</label>
        <select
          id={`${ids}-kind`}
          name="kind"
          value={kind}
          disabled={editing}
          onChange={(e) => {
            setKind(e.target.value);
            setValues({});
          }}
        >
          {Object.entries(KIND_LABELS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        {editing && <small className="muted">A destination keeps its kind; create another for a different place.</small>}
      </div>
      {fields.map((f) => {
        const path = `config.${f.key}`;
        const err = fieldError(path);
        const id = `${ids}-${f.key}`;
        const isLocked = locked.includes(f.key);
        if (f.type === 'checkbox') {
          return (
            <label key={f.key} className="checkbox">
              <input type="checkbox" name={f.key} checked={values[f.key] === true} onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.checked }))} />
              {f.label}
            </label>
          );
        }
        const hasSecret = f.secret && destination?.secretKeys.includes(f.key);
        return (
          <div key={f.key} className={`field${err ? ' field-invalid' : ''}`}>
            <label htmlFor={id}>{f.label}</label>
            <input
              id={id}
              name={f.key}
              type={f.secret ? 'password' : 'text'}
              autoComplete={f.secret ? 'new-password' : 'off'}
              required={f.required}
              readOnly={isLocked}
              placeholder={hasSecret ? 'Stored; leave empty to keep it' : f.placeholder}
              value={String(values[f.key] ?? '')}
              onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
              aria-invalid={!!err}
            />
            {err ? (
              <small className="field-error">{err}</small>
            ) : isLocked ? (
              <small className="muted">Fixed while it holds recovery points: they would be left behind.</small>
            ) : (
              f.hint && <small className="muted">{f.hint}</small>
            )}
          </div>
        );
      })}
      <label className="checkbox">
        <input type="checkbox" name="offsite" checked={offsite} onChange={(e) => setOffsite(e.target.checked)} />
        Offsite: in another site or region than the data it backs up
      </label>
      <label className="checkbox">
        <input type="checkbox" name="immutable" checked={immutable} onChange={(e) => setImmutable(e.target.checked)} />
        Immutable: stored objects cannot be changed or deleted (e.g. S3 Object Lock)
      </label>
      {save.error && (issues.length === 0 || unplaced.length > 0) && (
        <ErrorAlert title={editing ? 'The destination was not saved' : 'The destination was not created'} error={save.error} labels={labels} testId="destination-error" />
      )}
      {issues.length > 0 && unplaced.length === 0 && (
        <small className="field-error" role="alert">
          {issues.map((i) => fieldLabel(i.path, labels)).join(', ')}: see above.
        </small>
      )}
      <FormActions onCancel={onClose} submitLabel={editing ? 'Save destination' : 'Create destination'} pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}
