'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError, api } from '@/components/api/client';
import { keys, useDestinations } from '@/components/api/queries';
import type { Destination, Policy } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';

// zstd's levels without --ultra (create-policy.ts); 3 is the server's default.
const LEVELS = Array.from({ length: 19 }, (_, i) => i + 1);
const DEFAULT_LEVEL = '3';
const NO_COMPRESSION = 'none';

type FieldName = 'name' | 'destinationId' | 'compressionLevel' | 'copies';

/** Where an API issue path points in this form. `copies` and `copyDestinationIds` are the same list here. */
function fieldOf(path: readonly string[]): FieldName | null {
  const head = path[0];
  if (head === 'name' || head === 'destinationId' || head === 'compressionLevel') return head;
  if (head === 'copies' || head === 'copyDestinationIds') return 'copies';
  return null;
}

function levelLabel(n: number): string {
  if (n === 1) return 'zstd 1 (fastest)';
  if (String(n) === DEFAULT_LEVEL) return `zstd ${n} (default)`;
  if (n === 19) return 'zstd 19 (smallest, slowest)';
  return `zstd ${n}`;
}

function destinationLabel(d: Destination): string {
  const traits = [d.kindLabel, d.offsite && 'offsite', d.immutable && 'immutable'].filter(Boolean);
  return `${d.name} (${traits.join(', ')})`;
}

/** Creates a policy: name, primary destination, compression, encryption and copy destinations (in restore order). */
export function NewPolicyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (policy: Policy) => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const destinations = useDestinations();
  const [name, setName] = useState('');
  // '' until chosen: the default destination, once the list has loaded.
  const [chosenPrimary, setPrimary] = useState('');
  const [compression, setCompression] = useState(DEFAULT_LEVEL);
  const [encrypt, setEncrypt] = useState(true);
  /** Copy destination ids in the order they were ticked: restores try them in this order. */
  const [copies, setCopies] = useState<string[]>([]);

  const list = destinations.data ?? [];
  const primary = chosenPrimary || (list.find((d) => d.isDefault) ?? list[0])?.id || '';
  const nameOf = (id: string) => list.find((d) => d.id === id)?.name ?? id;

  const create = useMutation({
    mutationFn: () =>
      api<Policy>('/policies', {
        method: 'POST',
        body: {
          name: name.trim(),
          destinationId: primary,
          compressionLevel: compression === NO_COMPRESSION ? null : Number(compression),
          encrypt,
          copyDestinationIds: copies,
        },
      }),
    onSuccess: async (policy) => {
      await queryClient.invalidateQueries({ queryKey: keys.policies });
      onCreated(policy);
    },
  });

  const fieldErrors: Partial<Record<FieldName, string>> = {};
  if (create.error instanceof ApiError) {
    for (const issue of create.error.issues) {
      const field = fieldOf(issue.path);
      if (field && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
  }
  const invalid = (field: FieldName, hint = false) => ({
    id: `${ids}-${field}`,
    'aria-invalid': fieldErrors[field] ? true : undefined,
    'aria-describedby': fieldErrors[field] || hint ? `${ids}-${field}-note` : undefined,
  });
  const note = (field: FieldName, hint?: string) =>
    fieldErrors[field] ? (
      <small className="field-error" id={`${ids}-${field}-note`}>
        {fieldErrors[field]}
      </small>
    ) : (
      hint && (
        <small className="muted" id={`${ids}-${field}-note`}>
          {hint}
        </small>
      )
    );
  const cls = (field: FieldName) => `field${fieldErrors[field] ? ' field-invalid' : ''}`;

  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>New policy</h2>
      {destinations.error && <ErrorAlert title="The destinations could not be loaded" error={destinations.error} />}
      {destinations.isSuccess && list.length === 0 && (
        <Alert tone="warning">No destination yet: an admin adds one with POST /api/v1/destinations (docs/API.md), then come back.</Alert>
      )}
      <form
        className="form form-grid"
        aria-label="New policy"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <div className={cls('name')}>
          <label htmlFor={`${ids}-name`}>Name</label>
          <input required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} placeholder="orders-nightly" {...invalid('name')} />
          {note('name')}
        </div>
        <div className="row">
          <div className={`${cls('destinationId')} grow`}>
            <label htmlFor={`${ids}-destinationId`}>Primary destination</label>
            <select
              required
              value={primary}
              disabled={list.length === 0}
              onChange={(e) => {
                setPrimary(e.target.value);
                // A destination cannot be both the primary and a copy.
                setCopies((c) => c.filter((id) => id !== e.target.value));
              }}
              {...invalid('destinationId', true)}
            >
              {list.length === 0 && <option value="">{destinations.isPending ? 'Loading…' : 'No destination'}</option>}
              {list.map((d) => (
                <option key={d.id} value={d.id}>
                  {destinationLabel(d)}
                </option>
              ))}
            </select>
            {note('destinationId', 'Where every backup is written first.')}
          </div>
          <div className={`${cls('compressionLevel')} grow`}>
            <label htmlFor={`${ids}-compressionLevel`}>Compression</label>
            <select value={compression} onChange={(e) => setCompression(e.target.value)} {...invalid('compressionLevel', true)}>
              {LEVELS.map((n) => (
                <option key={n} value={String(n)}>
                  {levelLabel(n)}
                </option>
              ))}
              <option value={NO_COMPRESSION}>None</option>
            </select>
            {note('compressionLevel', compression === NO_COMPRESSION ? 'The engine’s bytes are stored as they are.' : 'Higher levels are smaller and slower.')}
          </div>
        </div>
        <div className="field">
          <label className="checkbox">
            <input type="checkbox" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} aria-describedby={`${ids}-encrypt-note`} />
            <span>Encrypt backups</span>
          </label>
          <small className={encrypt ? 'muted' : 'field-error'} id={`${ids}-encrypt-note`}>
            {encrypt
              ? 'With age, to the active key (Keys). Keep the recovery kit offline.'
              : 'Backups are stored in clear: anyone who can read the destination can read them.'}
          </small>
        </div>
        <fieldset className={`fieldset${fieldErrors.copies ? ' field-invalid' : ''}`} aria-describedby={`${ids}-copies-note`}>
          <legend>Copy destinations</legend>
          {list.length <= 1 ? (
            <p className="muted small">No other destination to copy to.</p>
          ) : (
            <div className="choice-list">
              {list.map((d) => {
                const isPrimary = d.id === primary;
                const position = copies.indexOf(d.id);
                return (
                  <label key={d.id} className="checkbox">
                    <input
                      type="checkbox"
                      disabled={isPrimary}
                      checked={position >= 0}
                      onChange={(e) => setCopies((c) => (e.target.checked ? [...c, d.id] : c.filter((id) => id !== d.id)))}
                    />
                    <span>
                      {d.name}
                      {isPrimary && <span className="muted"> (primary)</span>}
                      {position >= 0 && (
                        // The order is spelled out in the note below; the number only shows it at a glance.
                        <span className="badge badge-neutral badge-inline" aria-hidden="true" title={`Copy ${position + 1}`}>
                          {position + 1}
                        </span>
                      )}
                    </span>
                  </label>
                );
              })}
            </div>
          )}
          {fieldErrors.copies ? (
            <small className="field-error" id={`${ids}-copies-note`}>
              {fieldErrors.copies}
            </small>
          ) : (
            <small className="muted" id={`${ids}-copies-note`}>
              {copies.length === 0
                ? 'Optional: every backup is also copied, byte for byte, to each destination ticked here.'
                : `Restores try the primary first, then ${copies.map(nameOf).join(', then ')}. Copies follow their point until given a retention of their own.`}
            </small>
          )}
        </fieldset>
        {create.error && <ErrorAlert title="The policy was not created" error={create.error} testId="create-policy-error" />}
        <FormActions
          onCancel={onCancel}
          submitLabel="Create policy"
          pendingLabel="Creating…"
          pending={create.isPending}
          disabled={primary === ''}
        />
      </form>
    </section>
  );
}
