'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { ApiError, api, errorCode, errorText } from '@/components/api/client';
import { keys } from '@/components/api/queries';
import type { CopyRetentionSet, Policy, PolicyCopy, PolicyRetentionSet } from '@/components/api/types';
import { Alert, ErrorAlert } from '@/components/ui/alert';
import {
  COUNT_RULES,
  DURATION_RULES,
  bodyOf,
  draftOf,
  newTier,
  previewOf,
  fieldMessages,
  issueLabel,
  type DraftField,
  type RetentionDraft,
  type TierDraft,
} from './retention-draft';
import { FOLLOWS_POINT, RetentionSummary } from './retention-summary';
import { FormActions } from '@/components/ui/form-actions';

// Suggestions only: any class the destination's provider knows is accepted (retention-policy.ts checks the spelling).
const STORAGE_CLASSES = ['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];

/** Every IANA zone the browser knows, for the time zone suggestions; the server has the last word. */
function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

type FieldErrors = Partial<Record<DraftField, string>>;

/**
 * Saves a retention with PUT and refreshes what shows it: the policy list and every source (their detail pages
 * carry the policy, and the dry run follows the rules).
 */
function useSaveRetention<T>(path: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown> | null) => api<T>(path, { method: 'PUT', body }),
    onSuccess: async () => {
      void queryClient.invalidateQueries({ queryKey: ['sources'] });
      await queryClient.invalidateQueries({ queryKey: keys.policies });
    },
  });
}

/** The number inputs the browser could not read (`1e`): their value is empty, which would silently turn a rule off. */
function unreadableNumbers(form: HTMLFormElement): FieldErrors {
  const errors: FieldErrors = {};
  for (const el of Array.from(form.elements)) {
    if (el instanceof HTMLInputElement && el.type === 'number' && el.validity.badInput && el.name) {
      errors[el.name as DraftField] = el.name.startsWith('tiers.')
        ? 'not a number: enter a whole number of days'
        : 'not a number: enter a whole number, or leave it empty to turn the rule off';
    }
  }
  return errors;
}

/** Field messages from a failed save: the API's VALIDATION issues, sorted onto the form. */
function fieldErrorsOf(error: unknown): FieldErrors {
  return error instanceof ApiError ? fieldMessages(error.issues) : {};
}

/**
 * A refused save: the code, then one line per issue named as the form names the field (the server's message
 * verbatim), or the server's message when it sent no issues (e.g. an unknown policy).
 */
function SaveError({ error }: { error: unknown }) {
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <Alert title="The retention was not saved" testId="retention-error">
      <code className="error-code">{errorCode(error) ?? 'ERROR'}</code>{' '}
      {issues.length === 0 ? (
        errorText(error)
      ) : (
        <ul className="issue-list">
          {issues.map((issue, i) => {
            const label = issueLabel(issue.path);
            return <li key={i}>{label ? `${label}: ${issue.message}` : issue.message}</li>;
          })}
        </ul>
      )}
    </Alert>
  );
}

/** The retention dialog of a policy's own (primary) retention. */
export function PolicyRetentionForm({ policy, onClose, onSaved }: { policy: Policy; onClose: () => void; onSaved: (message: string) => void }) {
  const [draft, setDraft] = useState(() => draftOf(policy.retention));
  const [local, setLocal] = useState<FieldErrors>({});
  const save = useSaveRetention<PolicyRetentionSet>(`/policies/${encodeURIComponent(policy.id)}/retention`);
  const errors = { ...fieldErrorsOf(save.error), ...local };
  return (
    <form
      className="form"
      noValidate
      aria-label={`Retention of ${policy.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        const bad = unreadableNumbers(e.currentTarget);
        setLocal(bad);
        if (Object.keys(bad).length > 0) {
          save.reset(); // an earlier answer would describe other values
          return;
        }
        save.mutate(bodyOf(draft), { onSuccess: () => onSaved(`Retention of “${policy.name}” saved.`) });
      }}
    >
      <p className="muted">
        Applies to the recovery points of every source with this policy, stored on <strong>{policy.destinationName}</strong>, from their
        next prune. Copies on destinations without retention of their own follow.
      </p>
      <RetentionFields draft={draft} onChange={setDraft} errors={errors} />
      <Preview draft={draft} scope="policy" />
      {save.error && <SaveError error={save.error} />}
      <FormActions onCancel={onClose} submitLabel="Save retention" pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

/** The confirmation of "Remove retention": the policy then keeps everything. */
export function RemoveRetentionForm({
  policy,
  sourceCount,
  onClose,
  onSaved,
}: {
  policy: Policy;
  /** Null while the sources are not known. */
  sourceCount: number | null;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const save = useSaveRetention<PolicyRetentionSet>(`/policies/${encodeURIComponent(policy.id)}/retention`);
  const ownCopies = policy.copies.filter((c) => c.retention !== null);
  const sources = sourceCount === null ? 'its sources' : sourceCount === 1 ? 'its 1 source' : `its ${sourceCount} sources`;
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(null, { onSuccess: () => onSaved(`Retention of “${policy.name}” removed: it keeps everything.`) });
      }}
    >
      <p data-testid="remove-retention-summary">
        <strong>
          Policy “{policy.name}” will then keep everything: retention deletes none of the recovery points of {sources}.
        </strong>
      </p>
      <p className="muted small">
        Backups already deleted stay deleted. Recovery points can still be deleted by hand.
        {ownCopies.length > 0 && (
          <> The copies on {ownCopies.map((c) => c.destinationName).join(', ')} keep following their own retention.</>
        )}
      </p>
      {save.error && <ErrorAlert title="The retention was not removed" error={save.error} />}
      <FormActions onCancel={onClose} submitLabel="Remove retention" pendingLabel="Removing…" pending={save.isPending} danger />
    </form>
  );
}

/** The retention of the copies a policy keeps on one copy destination: follow the point (null), or rules of their own. */
export function CopyRetentionForm({
  policy,
  copy,
  onClose,
  onSaved,
}: {
  policy: Policy;
  copy: PolicyCopy;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const ids = useId();
  const [own, setOwn] = useState(copy.retention !== null);
  const [draft, setDraft] = useState(() => draftOf(copy.retention));
  const [local, setLocal] = useState<FieldErrors>({});
  const save = useSaveRetention<CopyRetentionSet>(
    `/policies/${encodeURIComponent(policy.id)}/copies/${encodeURIComponent(copy.destinationId)}/retention`,
  );
  const errors = { ...fieldErrorsOf(save.error), ...local };
  const choose = (value: boolean) => {
    setOwn(value);
    setLocal({});
    save.reset();
  };
  return (
    <form
      className="form"
      noValidate
      aria-label={`Retention of the copies on ${copy.destinationName}`}
      onSubmit={(e) => {
        e.preventDefault();
        const bad = own ? unreadableNumbers(e.currentTarget) : {};
        setLocal(bad);
        if (Object.keys(bad).length > 0) {
          save.reset(); // an earlier answer would describe other values
          return;
        }
        save.mutate(own ? bodyOf(draft) : null, {
          onSuccess: () =>
            onSaved(
              own
                ? `Retention of the copies on “${copy.destinationName}” saved.`
                : `The copies on “${copy.destinationName}” now follow their point.`,
            ),
        });
      }}
    >
      <p className="muted">
        The copies that policy <strong>{policy.name}</strong> keeps on <strong>{copy.destinationName}</strong>.
      </p>
      <fieldset className="fieldset choice">
        <legend>Retention of these copies</legend>
        <label className="checkbox">
          <input type="radio" name="copy-mode" value="follow" checked={!own} onChange={() => choose(false)} aria-describedby={`${ids}-follow`} />
          <span>Follows its point</span>
        </label>
        <small className="muted choice-hint" id={`${ids}-follow`}>
          {FOLLOWS_POINT}
        </small>
        <label className="checkbox">
          <input type="radio" name="copy-mode" value="own" checked={own} onChange={() => choose(true)} aria-describedby={`${ids}-own`} />
          <span>Own retention</span>
        </label>
        <small className="muted choice-hint" id={`${ids}-own`}>
          Planned on their own, e.g. kept a year here while the primary keeps 14 days. A point keeps its copy here as long as these rules
          keep it, even once its primary object is pruned.
        </small>
      </fieldset>
      {own && (
        <>
          <RetentionFields draft={draft} onChange={setDraft} errors={errors} />
          <Preview draft={draft} scope="copy" />
        </>
      )}
      {save.error && <SaveError error={save.error} />}
      {/* Following already: saving null again would change nothing (but still be audited). */}
      <FormActions
        onCancel={onClose}
        submitLabel="Save retention"
        pendingLabel="Saving…"
        pending={save.isPending}
        disabled={!own && copy.retention === null}
      />
    </form>
  );
}

/** The rules as they read now, before saving: only the well-formed values count (the server checks the rest). */
function Preview({ draft, scope }: { draft: RetentionDraft; scope: 'policy' | 'copy' }) {
  return (
    <section className="retention-preview" aria-label="In words" data-testid="retention-preview">
      <h3 className="subheading">In words</h3>
      <RetentionSummary retention={previewOf(draft)} scope={scope} />
    </section>
  );
}

/** The inputs of one retention: keep rules, minimum, time zone and storage tiers. */
function RetentionFields({ draft, onChange, errors }: { draft: RetentionDraft; onChange: (d: RetentionDraft) => void; errors: FieldErrors }) {
  const prefix = useId();
  const zones = useMemo(timeZones, []);
  const set = (key: Exclude<keyof RetentionDraft, 'tiers'>, value: string) => onChange({ ...draft, [key]: value });
  const setTier = (i: number, patch: Partial<TierDraft>) =>
    onChange({ ...draft, tiers: draft.tiers.map((t, j) => (j === i ? { ...t, ...patch } : t)) });

  /** id, invalid state and description of one input; the note below it is the error, else the hint. */
  const inputProps = (field: DraftField, hasHint: boolean) => ({
    id: `${prefix}-${field}`,
    name: field,
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': errors[field] || hasHint ? `${prefix}-${field}-note` : undefined,
  });
  const note = (field: DraftField, hint?: string) =>
    errors[field] ? (
      <small className="field-error" id={`${prefix}-${field}-note`}>
        {errors[field]}
      </small>
    ) : (
      hint && (
        <small className="muted" id={`${prefix}-${field}-note`}>
          {hint}
        </small>
      )
    );
  const cls = (field: DraftField, extra = '') => `field${extra}${errors[field] ? ' field-invalid' : ''}`;

  return (
    <>
      <fieldset className="fieldset">
        <legend>Keep rules</legend>
        <p className="muted small">A point is kept if any rule keeps it. Leave a rule empty to turn it off; with no rule, everything is kept.</p>
        <div className="rule-grid">
          {COUNT_RULES.map(({ rule, label, unit }) => (
            <div key={rule} className={cls(rule)}>
              <label htmlFor={`${prefix}-${rule}`}>{label}</label>
              <input
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                placeholder="off"
                value={draft[rule]}
                onChange={(e) => set(rule, e.target.value)}
                {...inputProps(rule, true)}
              />
              {note(rule, unit)}
            </div>
          ))}
        </div>
        <div className={cls('keepWithin')}>
          <label htmlFor={`${prefix}-keepWithin`}>{DURATION_RULES[0].label}</label>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="off, or e.g. 30d"
            value={draft.keepWithin}
            onChange={(e) => set('keepWithin', e.target.value)}
            {...inputProps('keepWithin', true)}
          />
          {note('keepWithin', DURATION_RULES[0].hint)}
        </div>
      </fieldset>
      <div className="row">
        <div className={cls('minRetention', ' grow')}>
          <label htmlFor={`${prefix}-minRetention`}>{DURATION_RULES[1].label}</label>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="none, or e.g. 7d"
            value={draft.minRetention}
            onChange={(e) => set('minRetention', e.target.value)}
            {...inputProps('minRetention', true)}
          />
          {note('minRetention', DURATION_RULES[1].hint)}
        </div>
        <div className={cls('timezone', ' grow')}>
          <label htmlFor={`${prefix}-timezone`}>Time zone</label>
          <input
            type="text"
            autoComplete="off"
            spellCheck={false}
            list={`${prefix}-zones`}
            placeholder="UTC"
            value={draft.timezone}
            onChange={(e) => set('timezone', e.target.value)}
            {...inputProps('timezone', true)}
          />
          <datalist id={`${prefix}-zones`}>
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          {note('timezone', 'IANA name, e.g. Europe/Paris: where hourly … yearly periods begin.')}
        </div>
      </div>
      <fieldset className={`fieldset${errors.tiers ? ' field-invalid' : ''}`} aria-describedby={errors.tiers ? `${prefix}-tiers-note` : undefined}>
        <legend>Storage tiers</legend>
        <p className="muted small">Kept points older than a number of days move to a colder storage class (S3 destinations only).</p>
        {draft.tiers.map((t, i) => {
          const tierError = [errors[`tiers.${i}.afterDays`], errors[`tiers.${i}.storageClass`]].filter(Boolean).join('; ');
          // One note under the row for both inputs: each names its own problem, so both point at it.
          const described = tierError ? { 'aria-describedby': `${prefix}-tier-${i}-note` } : {};
          return (
          <div key={t.key} className="tier-row" role="group" aria-label={`Tier ${i + 1}`}>
            <div className={cls(`tiers.${i}.afterDays`, ' w-days')}>
              <label htmlFor={`${prefix}-tiers.${i}.afterDays`}>After (days)</label>
              <input
                type="number"
                min={0}
                step={1}
                inputMode="numeric"
                value={t.afterDays}
                onChange={(e) => setTier(i, { afterDays: e.target.value })}
                {...inputProps(`tiers.${i}.afterDays`, false)}
                {...described}
              />
            </div>
            <div className={cls(`tiers.${i}.storageClass`, ' grow')}>
              <label htmlFor={`${prefix}-tiers.${i}.storageClass`}>Storage class</label>
              <input
                type="text"
                autoComplete="off"
                spellCheck={false}
                list={`${prefix}-classes`}
                placeholder="e.g. STANDARD_IA"
                value={t.storageClass}
                onChange={(e) => setTier(i, { storageClass: e.target.value })}
                {...inputProps(`tiers.${i}.storageClass`, false)}
                {...described}
              />
            </div>
            <button
              type="button"
              className="btn btn-sm btn-ghost"
              aria-label={`Remove tier ${i + 1}`}
              onClick={() => onChange({ ...draft, tiers: draft.tiers.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
            {tierError && (
              <small className="field-error tier-error" id={`${prefix}-tier-${i}-note`}>
                {tierError}
              </small>
            )}
          </div>
          );
        })}
        <datalist id={`${prefix}-classes`}>
          {STORAGE_CLASSES.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        {errors.tiers && (
          <small className="field-error" id={`${prefix}-tiers-note`}>
            {errors.tiers}
          </small>
        )}
        <div>
          <button type="button" className="btn btn-sm" onClick={() => onChange({ ...draft, tiers: [...draft.tiers, newTier()] })}>
            Add tier
          </button>
        </div>
      </fieldset>
    </>
  );
}
