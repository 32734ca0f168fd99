'use client';

import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '@/components/api/client';
import { keys, serviceKeys, usePolicies, useServices } from '@/components/api/queries';
import type { Source, SourceDeleted } from '@/components/api/types';
import { fieldIssues } from '@/components/services/field-issues';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { Modal } from '@/components/ui/modal';

const EDIT_FIELDS = ['name', 'policyId', 'serviceId'] as const;

/** What a source's Edit and Delete buttons open. */
export type SourceDialog = 'edit' | 'delete' | null;

export function SourceDialogs({ source, dialog, onClose }: { source: Source; dialog: SourceDialog; onClose: () => void }) {
  return (
    <Modal title={dialog === 'delete' ? `Delete ${source.name}` : `Edit ${source.name}`} open={dialog !== null} onClose={onClose}>
      {dialog === 'edit' && <EditSourceForm key={source.updatedAt} source={source} onClose={onClose} />}
      {dialog === 'delete' && <DeleteSourceForm source={source} onClose={onClose} />}
    </Modal>
  );
}

/** Name, policy and service of a source (`PATCH /sources/{id}`); connection settings are fixed at creation. */
function EditSourceForm({ source, onClose }: { source: Source; onClose: () => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const policies = usePolicies();
  const services = useServices();
  const [name, setName] = useState(source.name);
  const [policyId, setPolicyId] = useState(source.policyId ?? '');
  const [serviceId, setServiceId] = useState(source.serviceId ?? '');

  const save = useMutation({
    mutationFn: () => {
      // Only what changed: a rename alone must not re-check (or re-assign) the policy.
      const body: Record<string, unknown> = {};
      if (name.trim() !== source.name) body.name = name.trim();
      if ((policyId || null) !== source.policyId) body.policyId = policyId || null;
      if ((serviceId || null) !== source.serviceId) body.serviceId = serviceId || null;
      if (Object.keys(body).length === 0) return Promise.resolve(source);
      return api<Source>(`/sources/${encodeURIComponent(source.id)}`, { method: 'PATCH', body });
    },
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.sources }),
        queryClient.invalidateQueries({ queryKey: keys.policies }),
        queryClient.invalidateQueries({ queryKey: serviceKeys.services }),
        queryClient.invalidateQueries({ queryKey: ['slo'] }),
      ]);
      onClose();
    },
  });
  const { byField, other } = fieldIssues(save.error, EDIT_FIELDS);
  const invalid = (f: (typeof EDIT_FIELDS)[number]) => (byField[f] ? { 'aria-invalid': true, 'aria-describedby': `${ids}-${f}-note` } : {});
  const note = (f: (typeof EDIT_FIELDS)[number], hint: string) => (
    <small className={byField[f] ? 'field-error' : 'muted'} id={`${ids}-${f}-note`}>
      {byField[f] ?? hint}
    </small>
  );

  return (
    <form
      className="form"
      aria-label={`Edit source ${source.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className={`field${byField.name ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
        {note('name', 'How this source appears in Lifeboat.')}
      </div>
      <div className={`field${byField.policyId ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-policy`}>Policy</label>
        <select id={`${ids}-policy`} name="policyId" value={policyId} disabled={policies.isPending} onChange={(e) => setPolicyId(e.target.value)} {...invalid('policyId')}>
          <option value="">No policy (no schedule)</option>
          {(policies.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        {policies.error ? <ErrorAlert title="The policies could not be loaded" error={policies.error} /> : note('policyId', 'Where and when it is backed up, and how long points are kept.')}
      </div>
      <div className={`field${byField.serviceId ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-service`}>Service</label>
        <select id={`${ids}-service`} name="serviceId" value={serviceId} disabled={services.isPending} onChange={(e) => setServiceId(e.target.value)} {...invalid('serviceId')}>
          <option value="">No service</option>
          {(services.data ?? []).map((sv) => (
            <option key={sv.id} value={sv.id}>
              {sv.tier ? `${sv.name} (${sv.tier.name})` : sv.name}
            </option>
          ))}
        </select>
        {services.error ? <ErrorAlert title="The services could not be loaded" error={services.error} /> : note('serviceId', 'What it belongs to; its tier sets the recovery objectives.')}
      </div>
      {save.error &&
        (Object.keys(byField).length > 0 ? (
          other.length > 0 && <Alert title="The source was not saved">{other.join('; ')}</Alert>
        ) : (
          <ErrorAlert title="The source was not saved" error={save.error} testId="edit-source-error" />
        ))}
      <FormActions onCancel={onClose} submitLabel="Save" pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

/**
 * Deleting a source: its recovery points go with it, so its name must be typed again (the server checks it too,
 * `?keepPoints=false&confirm=<name>`). Held or locked points, and a queued or running run, make the server refuse.
 */
function DeleteSourceForm({ source, onClose }: { source: Source; onClose: () => void }) {
  const ids = useId();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const points = source.recoveryPointCount ?? 0;
  const remove = useMutation({
    mutationFn: () => {
      const qs = new URLSearchParams({ keepPoints: 'false', confirm: typed });
      return api<SourceDeleted>(`/sources/${encodeURIComponent(source.id)}?${qs}`, { method: 'DELETE' });
    },
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.sources }),
        queryClient.invalidateQueries({ queryKey: serviceKeys.services }),
        queryClient.invalidateQueries({ queryKey: ['slo'] }),
        queryClient.invalidateQueries({ queryKey: ['runs'] }),
      ]);
      router.push('/sources');
    },
  });
  const matches = typed === source.name;
  return (
    <form
      className="form"
      aria-label={`Delete source ${source.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (matches) remove.mutate();
      }}
    >
      <Alert tone="warning" title="This cannot be undone">
        {points === 0
          ? 'The source and its run history are deleted. It has no recovery points.'
          : `The source, its run history and its ${points} recovery point${points === 1 ? '' : 's'} (with their stored backups and copies) are deleted. Points under legal hold or locked are never deleted: the server refuses while there are any.`}
      </Alert>
      <div className="field">
        <label htmlFor={`${ids}-confirm`}>
          Type <strong className="mono">{source.name}</strong> to confirm
        </label>
        <input id={`${ids}-confirm`} name="confirm" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
      </div>
      {remove.error && <ErrorAlert title="The source was not deleted" error={remove.error} testId="delete-source-error" />}
      <FormActions onCancel={onClose} submitLabel="Delete source" pendingLabel="Deleting…" pending={remove.isPending} disabled={!matches} danger />
    </form>
  );
}
