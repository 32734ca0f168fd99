'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { ApiError, api, errorText } from '@/components/api/client';
import { keys, useEngines, usePolicies, useServices } from '@/components/api/queries';
import type { EngineFormField, EngineInfo, ProbeResult, Source } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import { initialValues, rowsOf, valuesToJson, type FormValues } from './engine-form';
import { PresetPicker } from './preset-picker';
import { presetFormValues } from './preset-form';
import { PageHeader } from '@/components/ui/page-header';
import { useViewer } from '@/components/layout/viewer';

/** The form's own fields besides the engine's: where an API issue path `["name"]` points. */
const NAME_FIELD = 'name';

/** The pickers besides the engine's fields: a policy and a service, both optional. */
const PICKER_FIELDS = ['policyId', 'serviceId'];

/** Where an API issue path points in this form: `["name"]`, `["policyId"]`, `["serviceId"]` or `["config", "<engine field>"]`. */
function fieldOf(path: string[], fields: readonly EngineFormField[]): string | null {
  if (path[0] === NAME_FIELD) return NAME_FIELD;
  if (path[0] !== undefined && PICKER_FIELDS.includes(path[0])) return path[0];
  const key = path[0] === 'config' ? path[1] : undefined;
  return key !== undefined && fields.some((f) => f.name === key) ? key : null;
}

export function NewSourceForm() {
  const viewer = useViewer();
  const engines = useEngines();
  // Typed in by hand: a viewer is told, not offered a form every submit of which would be refused.
  if (!viewer.can.writeInventory) return <Alert tone="warning">Only operators and admins add sources.</Alert>;
  if (engines.isPending) return <p className="muted">Loading…</p>;
  if (engines.isError) return <ErrorAlert title="Cannot load the source kinds" error={engines.error} />;
  // Kinds only admins may create (capture commands run a program of the creator's choosing) are not offered to others;
  // the server refuses them anyway.
  const offered = engines.data.filter((e) => e.creatorRole !== 'ADMIN' || viewer.role === 'ADMIN');
  if (offered.length === 0 && engines.data.length > 0) {
    return <Alert tone="warning">Only admins add sources of the kinds this server has ({engines.data.map((e) => e.label).join(', ')}).</Alert>;
  }
  return <NewSourceFormFor engines={offered} />;
}

/** The form for one of the registered engines; its connection fields are the engine's own (`EngineInfo.form`). */
function NewSourceFormFor({ engines }: { engines: EngineInfo[] }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState(engines[0]?.kind ?? '');
  const engine = engines.find((e) => e.kind === kind) ?? engines[0];
  const fields = engine?.form ?? [];
  const [name, setName] = useState('');
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [testConnection, setTestConnection] = useState(true);
  const [policyId, setPolicyId] = useState('');
  const [serviceId, setServiceId] = useState('');
  const policies = usePolicies();
  const services = useServices();

  const probe = useMutation({
    mutationFn: () => api<ProbeResult>('/sources/test-connection', { method: 'POST', body: { kind, config: valuesToJson(fields, values) } }),
  });
  const setValue = (key: string, value: string | boolean) => {
    setValues((v) => ({ ...v, [key]: value }));
    // A probe result describes the settings it was run with; once they change it would mislead.
    probe.reset();
  };
  const save = useMutation({
    mutationFn: () =>
      api<Source>('/sources', {
        method: 'POST',
        body: {
          kind,
          name: name.trim(),
          config: valuesToJson(fields, values),
          testConnection,
          ...(policyId ? { policyId } : {}),
          ...(serviceId ? { serviceId } : {}),
        },
      }),
    onSuccess: async (source) => {
      await queryClient.invalidateQueries({ queryKey: keys.sources });
      router.push(`/sources/${source.id}`);
    },
  });
  const applyPreset = (config: Record<string, unknown>) => {
    setValues((v) => presetFormValues(fields, config, v));
    probe.reset();
    save.reset();
  };
  const chooseKind = (next: string) => {
    setKind(next);
    setValues(initialValues(engines.find((e) => e.kind === next)?.form ?? []));
    probe.reset();
    save.reset();
  };

  if (engine === undefined) return <Alert title="No source kinds">This server has no engines registered.</Alert>;

  const saveError = save.error;
  const fieldErrors: Record<string, string> = {};
  const otherIssues: string[] = [];
  // The server's zod issues go under the field they name: a refused save's, else a refused connection test's (the
  // probe parses the same settings first).
  const issuesFrom = saveError instanceof ApiError ? saveError : probe.error instanceof ApiError ? probe.error : null;
  if (issuesFrom) {
    for (const issue of issuesFrom.issues) {
      const key = fieldOf(issue.path, fields);
      if (key && !fieldErrors[key]) fieldErrors[key] = issue.message;
      else otherIssues.push(issue.message);
    }
  }
  const hasFieldErrors = Object.keys(fieldErrors).length > 0;

  // The label names the input exactly; hints and errors are linked with aria-describedby, not inside the label.
  const wrap = (id: string, key: string, label: string, input: React.ReactElement, hint?: string) => (
    <div className={`field${fieldErrors[key] ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {input}
      {fieldErrors[key] ? (
        <small className="field-error" id={`${id}-note`}>
          {fieldErrors[key]}
        </small>
      ) : (
        hint && (
          <small className="muted" id={`${id}-note`}>
            {hint}
          </small>
        )
      )}
    </div>
  );
  const described = (id: string, key: string, hint: boolean) => ({
    id,
    'aria-invalid': fieldErrors[key] ? true : undefined,
    'aria-describedby': fieldErrors[key] || hint ? `${id}-note` : undefined,
  });

  const renderField = (f: EngineFormField) => {
    const id = `source-config-${f.name}`;
    const value = values[f.name];
    const text = typeof value === 'string' ? value : '';
    const common = { name: f.name, ...described(id, f.name, f.help !== undefined) };
    let input: React.ReactElement;
    if (f.type === 'checkbox') {
      return (
        <label className="checkbox" key={f.name}>
          <input type="checkbox" checked={value === true} onChange={(e) => setValue(f.name, e.target.checked)} {...common} />
          <span>{f.label}</span>
        </label>
      );
    } else if (f.type === 'select') {
      input = (
        <select value={text} required={f.required} onChange={(e) => setValue(f.name, e.target.value)} {...common}>
          {!f.required && <option value="">{f.placeholder ?? '(default)'}</option>}
          {(f.options ?? []).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
    } else if (f.type === 'text' && (f.multiline === true || text.includes('\n'))) {
      // Several lines (a list one argument per line, NAME=value variables): a text area, from the start for a field
      // declared `multiline`, or once a preset fills one with lines.
      input = (
        <textarea
          required={f.required}
          maxLength={f.maxLength}
          placeholder={f.placeholder}
          rows={Math.min(12, Math.max(f.multiline === true ? 3 : 2, text.split('\n').length + 1))}
          value={text}
          onChange={(e) => setValue(f.name, e.target.value)}
          {...common}
        />
      );
    } else {
      input = (
        <input
          type={f.type === 'password' ? 'password' : 'text'}
          inputMode={f.type === 'number' ? 'numeric' : undefined}
          autoComplete={f.type === 'password' ? 'new-password' : 'off'}
          required={f.required}
          maxLength={f.maxLength}
          placeholder={f.placeholder}
          value={text}
          onChange={(e) => setValue(f.name, e.target.value)}
          {...common}
        />
      );
    }
    return <Fragment key={f.name}>{wrap(id, f.name, f.label, input, f.help)}</Fragment>;
  };

  return (
    <>
      <PageHeader title={`Add a ${engine.label} source`} subtitle={engine.description} />
      <form
        className="card form form-grid"
        aria-label={`New ${engine.label} source`}
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        {engines.length > 1 && (
          <div className="field">
            <label htmlFor="source-kind">Kind</label>
            <select id="source-kind" name="kind" value={engine.kind} onChange={(e) => chooseKind(e.target.value)}>
              {engines.map((e) => (
                <option key={e.kind} value={e.kind}>
                  {e.label}
                </option>
              ))}
            </select>
          </div>
        )}
        {engine.presets && engine.presets.length > 0 && <PresetPicker key={engine.kind} presets={engine.presets} onApply={applyPreset} />}
        {wrap(
          `source-${NAME_FIELD}`,
          NAME_FIELD,
          'Name',
          <input name="name" required value={name} onChange={(e) => setName(e.target.value)} {...described(`source-${NAME_FIELD}`, NAME_FIELD, true)} />,
          'How this source appears in Lifeboat, e.g. "orders-prod".',
        )}
        {rowsOf(fields).map((row) =>
          row.length === 1 ? (
            renderField(row[0]!)
          ) : (
            <div className="row" key={row[0]!.name}>
              {row.map((f) => (
                <div className={f.narrow ? 'w-port' : 'grow'} key={f.name}>
                  {renderField(f)}
                </div>
              ))}
            </div>
          ),
        )}
        <div className="row">
          <div className="grow">
            {wrap(
              'source-policyId',
              'policyId',
              'Policy',
              <select
                name="policyId"
                value={policyId}
                disabled={policies.isPending}
                onChange={(e) => setPolicyId(e.target.value)}
                {...described('source-policyId', 'policyId', true)}
              >
                <option value="">No policy (no schedule)</option>
                {(policies.data ?? []).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>,
              policies.error ? `The policies could not be loaded: ${errorText(policies.error)}` : 'Where and when it is backed up, and how long points are kept.',
            )}
          </div>
          <div className="grow">
            {wrap(
              'source-serviceId',
              'serviceId',
              'Service',
              <select
                name="serviceId"
                value={serviceId}
                disabled={services.isPending}
                onChange={(e) => setServiceId(e.target.value)}
                {...described('source-serviceId', 'serviceId', true)}
              >
                <option value="">No service</option>
                {(services.data ?? []).map((sv) => (
                  <option key={sv.id} value={sv.id}>
                    {sv.tier ? `${sv.name} (${sv.tier.name})` : sv.name}
                  </option>
                ))}
              </select>,
              services.error ? `The services could not be loaded: ${errorText(services.error)}` : 'What it belongs to; its tier sets the recovery objectives.',
            )}
          </div>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={testConnection} onChange={(e) => setTestConnection(e.target.checked)} />
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
            {issuesFrom === probe.error && hasFieldErrors ? (otherIssues.length ? otherIssues.join('; ') : 'Fix the highlighted fields.') : errorText(probe.error)}
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
