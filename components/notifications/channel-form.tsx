'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError, api } from '@/components/api/client';
import { ErrorAlert } from '@/components/ui/alert';
import { fieldLabel } from '@/components/ui/error-text';
import { FormActions } from '@/components/ui/form-actions';
import { EVENT_CHOICES, notificationKeys, type ChannelDto } from './api';

type Kind = 'slack' | 'webhook' | 'email';

interface Field {
  key: string;
  label: string;
  type?: 'text' | 'password' | 'number' | 'checkbox' | 'list';
  placeholder?: string;
  hint?: string;
  required?: boolean;
  default?: string | boolean;
}

/** The settings each kind's form asks for (the server's kind schema decides what is valid). */
const FIELDS: Record<Kind, Field[]> = {
  slack: [{ key: 'url', label: 'Incoming webhook URL', type: 'password', required: true, placeholder: 'https://hooks.slack.com/services/…', hint: 'Sealed when saved and never shown again.' }],
  webhook: [
    {
      key: 'url',
      label: 'Receiver URL',
      type: 'password',
      required: true,
      placeholder: 'https://hooks.example.com/lifeboat',
      hint: 'Sealed when saved. Each request is signed (X-Lifeboat-Signature); the signing secret is shown once, after creation.',
    },
  ],
  email: [
    { key: 'host', label: 'SMTP host', required: true, placeholder: 'smtp.example.com' },
    { key: 'port', label: 'Port', type: 'number', default: '587', required: true },
    { key: 'requireTls', label: 'Require STARTTLS (recommended: mail and password never cross the network in clear)', type: 'checkbox', default: true },
    { key: 'username', label: 'Username', placeholder: 'lifeboat@example.com' },
    { key: 'password', label: 'Password', type: 'password', hint: 'Sealed when saved and never shown again.' },
    { key: 'from', label: 'From', required: true, placeholder: 'lifeboat@example.com' },
    { key: 'to', label: 'To', type: 'list', required: true, placeholder: 'oncall@example.com, dba@example.com', hint: 'One or more addresses, separated by commas.' },
  ],
};

const KIND_LABELS: Record<Kind, string> = { slack: 'Slack', webhook: 'Webhook (signed JSON)', email: 'Email (SMTP)' };

function labelsFor(kind: Kind): Record<string, string> {
  const labels: Record<string, string> = { name: 'Name', events: 'Events', allowCidrs: 'Allowed private networks' };
  for (const f of FIELDS[kind]) labels[`config.${f.key}`] = f.label;
  return labels;
}

const splitList = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** Creates a notification channel: its kind's settings, the events it receives and, for receivers on a private network, the allow-list. */
export function ChannelForm({ onClose, onCreated }: { onClose: () => void; onCreated: (channel: ChannelDto & { signingSecret?: string }) => void }) {
  const ids = useId();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>('webhook');
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [events, setEvents] = useState<string[]>(['backup.failed', 'verification.failed', 'rpo.breached', 'audit.chain-broken']);
  const [allow, setAllow] = useState('');
  const fields = FIELDS[kind];
  const labels = labelsFor(kind);
  const valueOf = (f: Field) => values[f.key] ?? f.default ?? (f.type === 'checkbox' ? false : '');

  const save = useMutation({
    mutationFn: () => {
      const config: Record<string, unknown> = {};
      for (const f of fields) {
        const v = valueOf(f);
        if (f.type === 'checkbox') config[f.key] = v === true;
        else if (f.type === 'number') {
          if (String(v).trim() !== '') config[f.key] = Number(v);
        } else if (f.type === 'list') config[f.key] = splitList(String(v));
        else if (String(v).trim() !== '') config[f.key] = String(v).trim();
      }
      return api<ChannelDto & { signingSecret?: string }>('/notification-channels', {
        method: 'POST',
        body: { kind, name: name.trim(), config, events, allowCidrs: splitList(allow) },
      });
    },
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: notificationKeys.channels });
      onCreated(created);
    },
  });
  const issues = save.error instanceof ApiError ? save.error.issues : [];
  const fieldError = (path: string) => issues.find((i) => i.path.join('.') === path)?.message;
  const prefixError = (prefix: string) => issues.find((i) => i.path.join('.') === prefix || i.path.join('.').startsWith(`${prefix}.`))?.message;
  const known = new Set(['name', ...fields.map((f) => `config.${f.key}`)]);
  const placed = (path: string) => known.has(path) || path.startsWith('events') || path.startsWith('allowCidrs') || fields.some((f) => path.startsWith(`config.${f.key}.`));
  const unplaced = issues.filter((i) => !placed(i.path.join('.')));

  return (
    <form
      className="form"
      aria-label="New notification channel"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className="field">
        <label htmlFor={`${ids}-kind`}>Kind</label>
        <select
          id={`${ids}-kind`}
          name="kind"
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as Kind);
            setValues({});
          }}
        >
          {(Object.keys(KIND_LABELS) as Kind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </div>
      <div className={`field${fieldError('name') ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-name`}>Name</label>
        <input id={`${ids}-name`} name="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!fieldError('name')} />
        {fieldError('name') ? <small className="field-error">{fieldError('name')}</small> : <small className="muted">How lists and the audit trail name it, e.g. “ops-slack”.</small>}
      </div>
      {fields.map((f) => {
        const path = `config.${f.key}`;
        const err = prefixError(path);
        const id = `${ids}-${f.key}`;
        if (f.type === 'checkbox') {
          return (
            <label key={f.key} className="checkbox">
              <input type="checkbox" name={f.key} checked={valueOf(f) === true} onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.checked }))} />
              {f.label}
            </label>
          );
        }
        return (
          <div key={f.key} className={`field${err ? ' field-invalid' : ''}`}>
            <label htmlFor={id}>{f.label}</label>
            <input
              id={id}
              name={f.key}
              type={f.type === 'password' ? 'password' : f.type === 'number' ? 'number' : 'text'}
              autoComplete={f.type === 'password' ? 'new-password' : 'off'}
              required={f.required}
              placeholder={f.placeholder}
              value={String(valueOf(f))}
              onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
              aria-invalid={!!err}
            />
            {err ? <small className="field-error">{err}</small> : f.hint && <small className="muted">{f.hint}</small>}
          </div>
        );
      })}
      <fieldset className={`fieldset${prefixError('events') ? ' field-invalid' : ''}`}>
        <legend>Events</legend>
        <div className="choice-list">
          {EVENT_CHOICES.map((c) => (
            <label key={c.event} className="checkbox">
              <input
                type="checkbox"
                name="events"
                value={c.event}
                checked={events.includes(c.event)}
                onChange={(e) => setEvents((list) => (e.target.checked ? [...list, c.event] : list.filter((x) => x !== c.event)))}
              />
              <span>
                {c.label} <code className="muted small">{c.event}</code>
              </span>
            </label>
          ))}
        </div>
        {prefixError('events') && <small className="field-error">{prefixError('events')}</small>}
      </fieldset>
      <div className={`field${prefixError('allowCidrs') ? ' field-invalid' : ''}`}>
        <label htmlFor={`${ids}-allow`}>Allowed private networks</label>
        <input
          id={`${ids}-allow`}
          name="allowCidrs"
          placeholder="10.0.0.5/32, fd00::/64"
          value={allow}
          onChange={(e) => setAllow(e.target.value)}
          aria-invalid={!!prefixError('allowCidrs')}
        />
        {prefixError('allowCidrs') ? (
          <small className="field-error">{prefixError('allowCidrs')}</small>
        ) : (
          <small className="muted">
            Lifeboat refuses to contact private, loopback and link-local addresses. List the receiver’s own address or network here only if it is on one.
          </small>
        )}
      </div>
      {save.error && (issues.length === 0 || unplaced.length > 0) && <ErrorAlert title="The channel was not created" error={save.error} labels={labels} testId="channel-error" />}
      {issues.length > 0 && unplaced.length === 0 && (
        <small className="field-error" role="alert">
          {[...new Set(issues.map((i) => fieldLabel(i.path.slice(0, 2), labels)))].join(', ')}: see above.
        </small>
      )}
      <FormActions onCancel={onClose} submitLabel="Create channel" pendingLabel="Creating…" pending={save.isPending} />
    </form>
  );
}
