'use client';

import { useRouter } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { api } from '@/components/api/client';
import { useEngines } from '@/components/api/queries';
import type { EngineFormField, EngineInfo, RecoveryPoint } from '@/components/api/types';
import type { RestoreRequest } from '@/components/approvals/types';
import { ErrorAlert } from '@/components/ui/alert';
import { formatBytes, formatDateTime } from '@/components/ui/format';
import { Modal } from '@/components/ui/modal';
import { FormActions } from '@/components/ui/form-actions';
import { fillConfirmationTemplate } from '@/lib/confirmation-template';
import { valuesToJson, type FormValues } from './engine-form';
import { configForChoices, dialogDefaults, fieldsForPoint, fieldsInMode, targetDefaults, withChange } from './restore-fields';

type EngineRestoreModeInfo = EngineInfo['restoreModes'][number];

/**
 * What a person types to confirm a destructive restore: the value of the target field the mode names
 * (`confirmationField`; PostgreSQL in-place: the database), or its `confirmationTemplate` filled from the fields
 * (Redis' destructive replay: `host:port`), or '' when it names neither. The server decides with the engine's own
 * `confirmationName` and says what to type if the confirmation differs.
 */
function confirmationOf(mode: EngineRestoreModeInfo | undefined, values: FormValues): string {
  if (mode?.confirmationTemplate !== undefined) {
    // Only the fields the template names are filled in: text, so all of them (a template never names a checkbox).
    return fillConfirmationTemplate(mode.confirmationTemplate, values);
  }
  const name = mode?.confirmationField;
  return name === undefined ? '' : String(values[name] ?? '').trim();
}

/** A field's label in a mode: the mode's own (`fieldLabels`, e.g. "Database to replace") or the form's. */
const labelIn = (mode: EngineRestoreModeInfo | undefined, f: EngineFormField) => mode?.fieldLabels?.[f.name] ?? f.label;

/**
 * Asks for a restore target (the fields the point's engine declares), a restore mode and a reason, and requests the
 * restore (`POST /restore-requests`). PostgreSQL: a new database name (the worker never overwrites one), or in the
 * destructive in-place mode the existing database, named twice: as the target and typed again to confirm (the field
 * the mode names; the server judges the confirmation and the dialog shows its refusal). Only the fields the mode
 * uses are shown and sent (`fields`), and a choice of the point's own (`optionsFrom`: which of its databases) only
 * when it offers several. A request that needs no approval runs at once (to its run's page); one that waits goes to
 * its page in the approvals inbox.
 */
export function RestoreDialog({ point, sourceConfig, onClose }: { point: RecoveryPoint | null; sourceConfig: Record<string, unknown>; onClose: () => void }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const engines = useEngines();
  const engine = point ? engines.data?.find((e) => e.kind === point.engine) : undefined;
  // The engine's fields for this point (its databases as choices), then those of the chosen mode (`shown`).
  const fields = useMemo(() => (point && engine ? fieldsForPoint(engine.restoreForm, point) : []), [point, engine]);
  const modes = engine?.restoreModes ?? [];
  const [values, setValues] = useState<FormValues>({});
  const [mode, setMode] = useState('');
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState('');
  // Fields the person edited: a new choice of database refills only the others' defaults.
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const change = (name: string, value: string | boolean) => {
    setTouched((t) => new Set(t).add(name));
    setValues((v) => withChange(fields, sourceConfig, v, touched, name, value, new Date()));
  };
  const restore = useMutation({
    mutationFn: (vars: { pointId: string; target: Record<string, unknown>; mode: string; reason: string; confirm?: string }) =>
      api<RestoreRequest>('/restore-requests', {
        method: 'POST',
        body: { recoveryPointId: vars.pointId, target: vars.target, mode: vars.mode, reason: vars.reason, ...(vars.confirm === undefined ? {} : { confirm: vars.confirm }) },
      }),
    onSuccess: (request) => {
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['restore-requests'] });
      router.push(request.runId ? `/runs/${request.runId}` : `/approvals/${request.id}`);
    },
  });
  const { reset } = restore;

  useEffect(() => {
    if (point && engine) {
      setValues(dialogDefaults(fields, sourceConfig, new Date()));
      setTouched(new Set());
      setMode(engine.restoreModes[0]?.mode ?? '');
      setReason('');
      setConfirm('');
      reset();
    }
  }, [point, engine, fields, sourceConfig, reset]);

  const chosen = modes.find((m) => m.mode === mode);
  // Fields the mode does not use (a Redis scratch restore: the replay's server) are neither shown nor sent.
  const shown = fieldsInMode(fields, chosen);
  const destructive = chosen?.destructive === true;
  const expected = destructive ? confirmationOf(chosen, values) : '';
  // The server decides whether the confirmation matches (and says what to type if not): here it only must be there.
  const missing =
    shown.some((f) => f.required && f.type !== 'checkbox' && String(values[f.name] ?? '').trim() === '') ||
    reason.trim() === '' ||
    (destructive && confirm.trim() === '');
  const confirmField = chosen?.confirmationField === undefined ? undefined : fields.find((f) => f.name === chosen.confirmationField);
  // Error paths (`target.database`, `confirm`) in the words the dialog shows.
  const errorLabels = {
    ...Object.fromEntries(fields.map((f) => [`target.${f.name}`, labelIn(chosen, f)])),
    confirm: 'Confirmation',
  };

  function chooseMode(next: string) {
    const spec = modes.find((m) => m.mode === next);
    setMode(next);
    setConfirm('');
    // A destructive mode replaces something that exists: a name made up for a new copy is no default for it.
    if (engine && spec) {
      const fresh = targetDefaults(fields, configForChoices(fields, sourceConfig, values), new Date());
      // The database chosen from the point stays chosen.
      const choices = Object.fromEntries(fields.filter((f) => f.optionsFrom !== undefined).map((f) => [f.name, values[f.name] ?? '']));
      setValues({
        ...(spec.destructive ? Object.fromEntries(fields.map((f) => [f.name, typeof f.default === 'string' && f.default.includes('{') ? '' : fresh[f.name]!])) : fresh),
        ...choices,
      });
      setTouched(new Set());
    }
  }

  return (
    <Modal title="Restore recovery point" open={point !== null} onClose={onClose}>
      {point && engines.isError && <ErrorAlert title="Cannot load the restore options" error={engines.error} />}
      {point && engines.isSuccess && !engine && <p className="muted">This server cannot restore {point.engine} recovery points.</p>}
      {point && engine && (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            restore.mutate({ pointId: point.id, target: valuesToJson(shown, values), mode, reason: reason.trim(), confirm: destructive ? confirm : undefined });
          }}
        >
          <p className="muted">
            From the backup of {formatDateTime(point.createdAt)} ({formatBytes(point.totalBytes)}). {chosen?.help}
          </p>
          {modes.length > 1 && (
            <fieldset className="field">
              <legend>Restore mode</legend>
              {modes.map((m) => (
                <label className="checkbox" key={m.mode}>
                  <input type="radio" name="mode" value={m.mode} checked={mode === m.mode} onChange={() => chooseMode(m.mode)} />
                  <span>
                    {m.label}
                    {m.destructive && <strong> (overwrites existing data)</strong>}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {shown.map((f, i) => {
            const id = `restore-${f.name}`;
            const value = values[f.name];
            if (f.type === 'checkbox') {
              return (
                <label className="checkbox" key={f.name}>
                  <input id={id} type="checkbox" checked={value === true} onChange={(e) => change(f.name, e.target.checked)} />
                  <span>{labelIn(chosen, f)}</span>
                </label>
              );
            }
            return (
              <div className="field" key={f.name}>
                <label htmlFor={id}>{labelIn(chosen, f)}</label>
                {f.type === 'select' ? (
                  <select
                    id={id}
                    name={f.name}
                    value={String(value ?? '')}
                    onChange={(e) => change(f.name, e.target.value)}
                    aria-describedby={f.help ? `${id}-note` : undefined}
                  >
                    {!f.required && <option value="">{f.placeholder ?? '(default)'}</option>}
                    {(f.options ?? []).map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                ) : f.multiline ? (
                  <textarea
                    id={id}
                    name={f.name}
                    required={f.required}
                    maxLength={f.maxLength}
                    placeholder={f.placeholder}
                    autoFocus={i === 0}
                    rows={Math.min(12, Math.max(3, String(value ?? '').split('\n').length + 1))}
                    value={String(value ?? '')}
                    onChange={(e) => change(f.name, e.target.value)}
                    aria-describedby={f.help ? `${id}-note` : undefined}
                  />
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
                    onChange={(e) => change(f.name, e.target.value)}
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
          <div className="field">
            <label htmlFor="restore-reason">Reason</label>
            <textarea
              id="restore-reason"
              name="reason"
              required
              maxLength={1000}
              rows={2}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-describedby="restore-reason-note"
            />
            <small className="muted" id="restore-reason-note">
              Why this restore is needed; approvers read it and the audit trail keeps it.
            </small>
          </div>
          {destructive && (
            <div className="alert alert-danger" data-testid="restore-risk">
              <strong className="alert-title">This will replace {expected ? `what is in ${expected}` : 'an existing target'} now.</strong>
              <div>
                {chosen?.help} Its current contents are gone once the restore has run. This needs one approval more than usual, one of
                them from an admin.
              </div>
            </div>
          )}
          {destructive && (
            <div className="field">
              <label htmlFor="restore-confirm">Confirmation</label>
              <input
                id="restore-confirm"
                name="confirm"
                type="text"
                autoComplete="off"
                spellCheck={false}
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                aria-describedby="restore-confirm-note"
              />
              <small className="muted" id="restore-confirm-note" data-testid="restore-confirm-note">
                {confirmField
                  ? `Type the ${labelIn(chosen, confirmField).toLowerCase()} again${expected ? ` (${expected})` : ''}, exactly, to confirm.`
                  : chosen?.confirmationTemplate !== undefined && expected
                    ? `Type ${expected}, exactly, to confirm.`
                    : 'Type the name of what will be replaced, exactly, to confirm.'}
              </small>
            </div>
          )}
          {restore.error && <ErrorAlert title="The restore was not requested" testId="restore-error" error={restore.error} labels={errorLabels} />}
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
