'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, errorText } from '@/components/api/client';
import { keys } from '@/components/api/queries';
import type { ProbeResult, Source } from '@/components/api/types';
import { Alert } from '@/components/ui/alert';
import { PageHeader } from '@/components/ui/page-header';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

interface FormState {
  name: string;
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  sslmode: string;
  testConnection: boolean;
}

type FieldName = 'name' | 'host' | 'port' | 'database' | 'user' | 'password' | 'sslmode';

/** Where an API issue path points in this form: `["name"]` or `["config", "host"]`. */
function fieldOf(path: string[]): FieldName | null {
  const key = path[0] === 'config' ? path[1] : path[0];
  return key && ['name', 'host', 'port', 'database', 'user', 'password', 'sslmode'].includes(key) ? (key as FieldName) : null;
}

function configOf(f: FormState): Record<string, unknown> {
  const config: Record<string, unknown> = { host: f.host.trim(), database: f.database.trim(), user: f.user.trim() };
  // Empty means the default (5432); anything else goes as typed so the server can say what is wrong with it.
  if (f.port.trim() !== '') config.port = /^\d+$/.test(f.port.trim()) ? Number(f.port.trim()) : f.port;
  if (f.password !== '') config.password = f.password;
  if (f.sslmode) config.sslmode = f.sslmode;
  return config;
}

export function NewSourceForm() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<FormState>({
    name: '',
    host: '',
    port: '5432',
    database: '',
    user: '',
    password: '',
    sslmode: '',
    testConnection: true,
  });

  const probe = useMutation({
    mutationFn: () => api<ProbeResult>('/sources/test-connection', { method: 'POST', body: { kind: 'postgres', config: configOf(form) } }),
  });
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    // A probe result describes the settings it was run with; once they change it would mislead.
    if (key !== 'name' && key !== 'testConnection') probe.reset();
  };
  const save = useMutation({
    mutationFn: () =>
      api<Source>('/sources', {
        method: 'POST',
        body: { kind: 'postgres', name: form.name.trim(), config: configOf(form), testConnection: form.testConnection },
      }),
    onSuccess: async (source) => {
      await queryClient.invalidateQueries({ queryKey: keys.sources });
      router.push(`/sources/${source.id}`);
    },
  });

  const saveError = save.error;
  const fieldErrors: Partial<Record<FieldName, string>> = {};
  const otherIssues: string[] = [];
  if (saveError instanceof ApiError) {
    for (const issue of saveError.issues) {
      const field = fieldOf(issue.path);
      if (field && !fieldErrors[field]) fieldErrors[field] = issue.message;
      else otherIssues.push(issue.message);
    }
  }
  const hasFieldErrors = Object.keys(fieldErrors).length > 0;

  // The label names the input exactly; hints and errors are linked with aria-describedby, not inside the label.
  const field = (name: FieldName, label: string, input: React.ReactElement, hint?: string) => (
    <div className={`field${fieldErrors[name] ? ' field-invalid' : ''}`}>
      <label htmlFor={`source-${name}`}>{label}</label>
      {input}
      {fieldErrors[name] ? (
        <small className="field-error" id={`source-${name}-note`}>
          {fieldErrors[name]}
        </small>
      ) : (
        hint && (
          <small className="muted" id={`source-${name}-note`}>
            {hint}
          </small>
        )
      )}
    </div>
  );
  const invalid = (name: FieldName, hint = false) => ({
    id: `source-${name}`,
    'aria-invalid': fieldErrors[name] ? true : undefined,
    'aria-describedby': fieldErrors[name] || hint ? `source-${name}-note` : undefined,
  });

  return (
    <>
      <PageHeader title="Add a PostgreSQL source" subtitle="Lifeboat connects with pg_dump from the worker machines." />
      <form
        className="card form form-grid"
        aria-label="New PostgreSQL source"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        {field('name', 'Name', <input name="name" required value={form.name} onChange={(e) => set('name', e.target.value)} {...invalid('name', true)} />, 'How this source appears in Lifeboat, e.g. "orders-prod".')}
        <div className="row">
          <div className="grow">
            {field('host', 'Host', <input name="host" required value={form.host} onChange={(e) => set('host', e.target.value)} placeholder="db.internal or 10.0.0.5" {...invalid('host')} />)}
          </div>
          <div className="w-port">
            {field('port', 'Port', <input name="port" inputMode="numeric" value={form.port} onChange={(e) => set('port', e.target.value)} {...invalid('port')} />)}
          </div>
        </div>
        {field('database', 'Database', <input name="database" required value={form.database} onChange={(e) => set('database', e.target.value)} {...invalid('database')} />)}
        <div className="row">
          <div className="grow">
            {field('user', 'User', <input name="user" required autoComplete="off" value={form.user} onChange={(e) => set('user', e.target.value)} {...invalid('user')} />)}
          </div>
          <div className="grow">
            {field(
              'password',
              'Password',
              <input name="password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => set('password', e.target.value)} {...invalid('password', true)} />,
              'Stored encrypted; leave empty for trust/peer auth or ~/.pgpass.',
            )}
          </div>
        </div>
        {field(
          'sslmode',
          'SSL mode',
          <select name="sslmode" value={form.sslmode} onChange={(e) => set('sslmode', e.target.value)} {...invalid('sslmode')}>
            <option value="">libpq default (prefer)</option>
            {SSL_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>,
        )}
        <label className="checkbox">
          <input type="checkbox" checked={form.testConnection} onChange={(e) => set('testConnection', e.target.checked)} />
          <span>Check the connection before saving</span>
        </label>

        {probe.isSuccess &&
          (probe.data.ok ? (
            <Alert tone="success" title="Connection OK" testId="test-connection-result">
              {probe.data.version ? `Server ${probe.data.version}` : 'The server answered.'}
              {probe.data.message ? ` ${probe.data.message}` : ''}
            </Alert>
          ) : (
            <Alert title="Connection failed" testId="test-connection-result">
              {probe.data.message ?? 'The server did not answer.'}
            </Alert>
          ))}
        {probe.isError && (
          <Alert title="Cannot test the connection" testId="test-connection-result">
            {errorText(probe.error)}
          </Alert>
        )}
        {saveError && (
          <Alert title="The source was not saved" testId="save-error">
            {hasFieldErrors ? (otherIssues.length ? otherIssues.join('; ') : 'Fix the highlighted fields.') : errorText(saveError)}
          </Alert>
        )}

        <div className="form-actions">
          <button type="button" className="btn" disabled={probe.isPending} onClick={() => probe.mutate()}>
            {probe.isPending ? 'Testing…' : 'Test connection'}
          </button>
          <span className="spacer" />
          <Link href="/sources" className="btn btn-ghost">
            Cancel
          </Link>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </>
  );
}
