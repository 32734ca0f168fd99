'use client';

import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '@/components/api/client';
import { useEngines } from '@/components/api/queries';
import type { EngineFormField, RecoveryPoint, Run } from '@/components/api/types';
import { ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { FormActions } from '@/components/ui/form-actions';
import { fillTemplate, valuesToJson, type FormValues } from './engine-form';

/** The dialog's first values: each field's default, a template filled from the source's config (see `EngineFormField`). */
function targetDefaults(fields: readonly EngineFormField[], sourceConfig: Record<string, unknown>, now: Date): FormValues {
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.type === 'checkbox'
        ? f.default === true
        : typeof f.default === 'string'
          ? fillTemplate(f.default, sourceConfig, now, f.maxLength)
          : f.default === undefined
            ? ''
            : String(f.default),
    ]),
  );
}

/**
 * Asks for a restore target (the fields the point's engine declares) and a restore mode, and requests the restore.
 * PostgreSQL: a new database name; the worker creates that database and never overwrites one.
 */
export function RestoreDialog({ point, sourceConfig, onClose }: { point: RecoveryPoint | null; sourceConfig: Record<string, unknown>; onClose: () => void }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const engines = useEngines();
  const engine = point ? engines.data?.find((e) => e.kind === point.engine) : undefined;
  const fields = engine?.restoreForm ?? [];
  const modes = engine?.restoreModes ?? [];
  const [values, setValues] = useState<FormValues>({});
  const [mode, setMode] = useState('');
  const restore = useMutation({
    mutationFn: (vars: { pointId: string; target: Record<string, unknown>; mode: string }) =>
      api<Run>(`/recovery-points/${encodeURIComponent(vars.pointId)}/restores`, { method: 'POST', body: { target: vars.target, mode: vars.mode } }),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      router.push(`/runs/${run.id}`);
    },
  });
  const { reset } = restore;

  useEffect(() => {
    if (point && engine) {
      setValues(targetDefaults(engine.restoreForm, sourceConfig, new Date()));
      setMode(engine.restoreModes[0]?.mode ?? '');
      reset();
    }
  }, [point, engine, sourceConfig, reset]);

  const chosen = modes.find((m) => m.mode === mode);
  const missing = fields.some((f) => f.required && f.type !== 'checkbox' && String(values[f.name] ?? '').trim() === '');

  return (
    <Modal title="Restore recovery point" open={point !== null} onClose={onClose}>
      {point && engines.isError && <ErrorAlert title="Cannot load the restore options" error={engines.error} />}
      {point && engines.isSuccess && !engine && <p className="muted">This server cannot restore {point.engine} recovery points.</p>}
      {point && engine && (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            restore.mutate({ pointId: point.id, target: valuesToJson(fields, values), mode });
          }}
        >
          <p className="muted">
            From the backup of {formatDateTime(point.createdAt)} ({formatBytes(point.sizeBytes)}). {chosen?.help}
          </p>
          {modes.length > 1 && (
            <fieldset className="field">
              <legend>Restore mode</legend>
              {modes.map((m) => (
                <label className="checkbox" key={m.mode}>
                  <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => setMode(m.mode)} />
                  <span>
                    {m.label}
                    {m.destructive && <strong> (overwrites existing data)</strong>}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {fields.map((f, i) => {
            const id = `restore-${f.name}`;
            const value = values[f.name];
            if (f.type === 'checkbox') {
              return (
                <label className="checkbox" key={f.name}>
                  <input id={id} type="checkbox" checked={value === true} onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.checked }))} />
                  <span>{f.label}</span>
                </label>
              );
            }
            return (
              <div className="field" key={f.name}>
                <label htmlFor={id}>{f.label}</label>
                {f.type === 'select' ? (
                  <select id={id} name={f.name} value={String(value ?? '')} onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}>
                    {!f.required && <option value="">{f.placeholder ?? '(default)'}</option>}
                    {(f.options ?? []).map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={id}
                    name={f.name}
                    type={f.type === 'password' ? 'password' : 'text'}
                    inputMode={f.type === 'number' ? 'numeric' : undefined}
                    required={f.required}
                    maxLength={f.maxLength}
                    placeholder={f.placeholder}
                    autoFocus={i === 0}
                    value={String(value ?? '')}
                    onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                    aria-describedby={f.help ? `${id}-note` : undefined}
                  />
                )}
                {f.help && (
                  <small className="muted" id={`${id}-note`}>
                    {f.help}
                  </small>
                )}
              </div>
            );
          })}
          {restore.error && <ErrorAlert title="The restore was not started" error={restore.error} />}
          <FormActions
            onCancel={onClose}
            submitLabel="Start restore"
            pendingLabel="Starting restore…"
            pending={restore.isPending || restore.isSuccess}
            disabled={missing}
          />
        </form>
      )}
    </Modal>
  );
}
