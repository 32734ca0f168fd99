'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '@/components/api/client';
import { keys, serviceKeys } from '@/components/api/queries';
import type { Tier } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { formatSeconds } from '@/components/ui/format';
import { DURATION_UNITS, durationToSeconds, splitDuration, type DurationUnit } from './duration';
import { fieldIssues } from './field-issues';

const FIELDS = ['name', 'rpoSeconds', 'rtoSeconds', 'description'] as const;

/** Creates a tier (no `tier`) or edits one: name, RPO and RTO (typed in a unit of choice), description. */
export function TierForm({ tier, onClose, onSaved }: { tier?: Tier; onClose: () => void; onSaved: (message: string) => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const [name, setName] = useState(tier?.name ?? '');
  const [rpo, setRpo] = useState(() => (tier ? splitDuration(tier.rpoSeconds) : { amount: '15', unit: 'minutes' as DurationUnit }));
  const [rto, setRto] = useState(() => (tier ? splitDuration(tier.rtoSeconds) : { amount: '4', unit: 'hours' as DurationUnit }));
  const [description, setDescription] = useState(tier?.description ?? '');

  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        rpoSeconds: durationToSeconds(rpo.amount, rpo.unit),
        rtoSeconds: durationToSeconds(rto.amount, rto.unit),
        description: description.trim(),
      };
      return tier
        ? api<Tier>(`/tiers/${encodeURIComponent(tier.id)}`, { method: 'PATCH', body })
        : api<Tier>('/tiers', { method: 'POST', body });
    },
    onSuccess: async (saved) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: serviceKeys.tiers }),
        queryClient.invalidateQueries({ queryKey: serviceKeys.services }),
        queryClient.invalidateQueries({ queryKey: ['slo'] }),
        queryClient.invalidateQueries({ queryKey: keys.sources }),
      ]);
      onSaved(
        `Tier “${saved.name}” ${tier ? 'saved' : 'created'}: RPO ${formatSeconds(saved.rpoSeconds)}, RTO ${formatSeconds(saved.rtoSeconds)}.`,
      );
    },
  });
  const { byField, other } = fieldIssues(save.error, FIELDS);
  const invalid = (f: (typeof FIELDS)[number]) => (byField[f] ? { 'aria-invalid': true, 'aria-describedby': `${ids}-${f}-note` } : {});
  const note = (f: (typeof FIELDS)[number], hint?: string) =>
    byField[f] ? (
      <small className="field-error" id={`${ids}-${f}-note`}>
        {byField[f]}
      </small>
    ) : (
      hint && <small className="muted">{hint}</small>
    );

  const durationField = (
    f: 'rpoSeconds' | 'rtoSeconds',
    label: string,
    hint: string,
    value: { amount: string; unit: DurationUnit },
    set: (v: { amount: string; unit: DurationUnit }) => void,
  ) => (
    <div className={`field${byField[f] ? ' field-invalid' : ''}`}>
      <label htmlFor={`${ids}-${f}`}>{label}</label>
      <div className="row">
        <input
          id={`${ids}-${f}`}
          name={f}
          inputMode="decimal"
          className="w-days"
          required
          value={value.amount}
          onChange={(e) => set({ ...value, amount: e.target.value })}
          {...invalid(f)}
        />
        <select aria-label={`${label} unit`} name={`${f}-unit`} value={value.unit} onChange={(e) => set({ ...value, unit: e.target.value as DurationUnit })}>
          {DURATION_UNITS.map((u) => (
            <option key={u.unit} value={u.unit}>
              {u.label}
            </option>
          ))}
        </select>
      </div>
      {note(f, hint)}
    </div>
  );

  return (
    <form
      className="form"
      aria-label={tier ? `Edit tier ${tier.name}` : 'New tier'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className={`field${byField.name ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
        {note('name', 'e.g. "tier-1-critical".')}
      </div>
      {durationField('rpoSeconds', 'Recovery point objective (RPO)', 'The most data, in time, the services may lose.', rpo, setRpo)}
      {durationField('rtoSeconds', 'Recovery time objective (RTO)', 'How long a restore may take.', rto, setRto)}
      <div className={`field${byField.description ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-description`}>Description</label>
        <textarea
          id={`${ids}-description`}
          name="description"
          maxLength={1000}
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          {...invalid('description')}
        />
        {note('description', 'Optional.')}
      </div>
      {save.error &&
        (Object.keys(byField).length > 0 ? (
          other.length > 0 && <Alert title="The tier was not saved">{other.join('; ')}</Alert>
        ) : (
          <ErrorAlert title="The tier was not saved" error={save.error} />
        ))}
      <FormActions onCancel={onClose} submitLabel={tier ? 'Save tier' : 'Create tier'} pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}
