'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '@/components/api/client';
import { keys, serviceKeys, useTiers } from '@/components/api/queries';
import type { Service, Tier } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { formatSeconds } from '@/components/ui/format';
import { fieldIssues } from './field-issues';

const FIELDS = ['name', 'tierId', 'description', 'contact'] as const;

/** "tier-1-critical (RPO 5 min, RTO 1 h)": what a tier picker shows. */
export function tierLabel(t: Pick<Tier, 'name' | 'rpoSeconds' | 'rtoSeconds'>): string {
  return `${t.name} (RPO ${formatSeconds(t.rpoSeconds)}, RTO ${formatSeconds(t.rtoSeconds)})`;
}

/** Creates a service (no `service`) or edits one: name, tier, description, contact. */
export function ServiceForm({ service, onClose, onSaved }: { service?: Service; onClose: () => void; onSaved: (message: string) => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const tiers = useTiers();
  const [name, setName] = useState(service?.name ?? '');
  const [tierId, setTierId] = useState(service?.tierId ?? '');
  const [description, setDescription] = useState(service?.description ?? '');
  const [contact, setContact] = useState(service?.contact ?? '');

  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), tierId: tierId || null, description: description.trim(), contact: contact.trim() };
      return service
        ? api<Service>(`/services/${encodeURIComponent(service.id)}`, { method: 'PATCH', body })
        : api<Service>('/services', { method: 'POST', body });
    },
    onSuccess: async (saved) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: serviceKeys.services }),
        queryClient.invalidateQueries({ queryKey: serviceKeys.tiers }),
        queryClient.invalidateQueries({ queryKey: ['slo'] }),
        queryClient.invalidateQueries({ queryKey: keys.sources }),
      ]);
      onSaved(`Service “${saved.name}” ${service ? 'saved' : 'created'}.`);
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

  return (
    <form
      className="form"
      aria-label={service ? `Edit service ${service.name}` : 'New service'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className={`field${byField.name ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
        {note('name', 'What users depend on, e.g. "API Gateway".')}
      </div>
      <div className={`field${byField.tierId ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-tier`}>Tier</label>
        <select id={`${ids}-tier`} name="tierId" value={tierId} onChange={(e) => setTierId(e.target.value)} disabled={tiers.isPending} {...invalid('tierId')}>
          <option value="">No tier (no objectives)</option>
          {(tiers.data ?? []).map((t) => (
            <option key={t.id} value={t.id}>
              {tierLabel(t)}
            </option>
          ))}
        </select>
        {tiers.error ? <ErrorAlert title="The tiers could not be loaded" error={tiers.error} /> : note('tierId', 'The recovery objectives its sources are held to.')}
      </div>
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
      <div className={`field${byField.contact ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-contact`}>Contact</label>
        <input id={`${ids}-contact`} name="contact" maxLength={200} value={contact} onChange={(e) => setContact(e.target.value)} {...invalid('contact')} />
        {note('contact', 'Optional: who to call when it breaks (an address, a team, a pager).')}
      </div>
      {save.error &&
        (Object.keys(byField).length > 0 ? (
          other.length > 0 && <Alert title="The service was not saved">{other.join('; ')}</Alert>
        ) : (
          <ErrorAlert title="The service was not saved" error={save.error} />
        ))}
      <FormActions onCancel={onClose} submitLabel={service ? 'Save service' : 'Create service'} pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

/** Deleting a service: its sources stay, detached; nothing is backed up differently because of it. */
export function DeleteServiceForm({ service, onClose, onSaved }: { service: Service; onClose: () => void; onSaved: (message: string) => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api<{ id: string; detachedSourceIds: string[] }>(`/services/${encodeURIComponent(service.id)}`, { method: 'DELETE' }),
    onSuccess: async (r) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: serviceKeys.services }),
        queryClient.invalidateQueries({ queryKey: serviceKeys.tiers }),
        queryClient.invalidateQueries({ queryKey: ['slo'] }),
        queryClient.invalidateQueries({ queryKey: keys.sources }),
      ]);
      const n = r.detachedSourceIds.length;
      onSaved(`Service “${service.name}” deleted${n ? `; ${n} source${n === 1 ? '' : 's'} no longer belong to a service` : ''}.`);
    },
  });
  return (
    <form
      className="form"
      aria-label={`Delete service ${service.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        remove.mutate();
      }}
    >
      <p>
        Delete the service <strong>{service.name}</strong>?{' '}
        {service.sourceCount === 0
          ? 'It has no sources.'
          : `Its ${service.sourceCount} source${service.sourceCount === 1 ? '' : 's'} stay, with their backups, and belong to no service afterwards.`}
      </p>
      {remove.error && <ErrorAlert title="The service was not deleted" error={remove.error} />}
      <FormActions onCancel={onClose} submitLabel="Delete service" pendingLabel="Deleting…" pending={remove.isPending} danger />
    </form>
  );
}
