'use client';

import { useId, useState } from 'react';
import { ApiError, errorCode, errorText } from '@/components/api/client';
import type { Policy } from '@/components/api/types';
import { Alert } from '@/components/ui/alert';
import { FormActions } from '@/components/ui/form-actions';
import { useUpdatePolicy } from './policy-mutations';
import {
  bodyOf,
  draftOf,
  issuesByRow,
  newDraft,
  previewOf,
  type BackupType,
  type ScheduleDraft,
  type ScheduleField,
  type ScheduleKind,
} from './schedule-draft';
import styles from './schedules.module.css';

/** Every IANA zone the browser knows, as suggestions; the server has the last word. */
function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/**
 * The schedules dialog of a policy: add and remove schedules, each with its kind, backup type, cron, time zone and
 * optional window, previewed live in words; saved with `PATCH /policies/{id}` as typed, and the server's VALIDATION
 * issues (`schedules.0.cron`) shown under the field they name.
 */
export function ScheduleEditorForm({ policy, onClose, onSaved }: { policy: Policy; onClose: () => void; onSaved: (message: string) => void }) {
  const ids = useId();
  const [drafts, setDrafts] = useState<ScheduleDraft[]>(() => policy.schedules.map(draftOf));
  const save = useUpdatePolicy(policy.id);
  const issues = save.error instanceof ApiError ? issuesByRow(save.error.issues) : { rows: new Map(), general: [] as string[] };
  const zones = timeZones();
  const set = (i: number, patch: Partial<ScheduleDraft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));

  return (
    <form
      className="form"
      noValidate
      aria-label={`Schedules of ${policy.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(bodyOf(drafts), { onSuccess: () => onSaved(`Schedules of “${policy.name}” saved.`) });
      }}
    >
      <p className="muted">
        Cron in five fields (minute hour day-of-month month day-of-week), read on the wall clock of the time zone. A window, if set, is
        when a slot may start; slots outside it are recorded as skipped.
      </p>
      <datalist id={`${ids}-zones`}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      {drafts.length === 0 && <p className="muted">No schedule: backups run only when someone starts one.</p>}
      <ol className={styles.rows}>
        {drafts.map((d, i) => (
          <ScheduleRow
            key={d.id || `new-${i}`}
            index={i}
            draft={d}
            zonesId={`${ids}-zones`}
            errors={issues.rows.get(i) ?? {}}
            onChange={(patch) => set(i, patch)}
            onRemove={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}
          />
        ))}
      </ol>
      <div>
        <button type="button" className="btn btn-sm" onClick={() => setDrafts((ds) => [...ds, newDraft(browserZone())])}>
          Add schedule
        </button>
      </div>
      {save.error && (
        <Alert title="The schedules were not saved" testId="schedules-error">
          <code className="error-code">{errorCode(save.error) ?? 'ERROR'}</code>{' '}
          {issues.general.length > 0 ? issues.general.join('; ') : issues.rows.size > 0 ? fieldsToFix(issues.rows) : errorText(save.error)}
        </Alert>
      )}
      <FormActions onCancel={onClose} submitLabel="Save schedules" pendingLabel="Saving…" pending={save.isPending} />
    </form>
  );
}

const FIELD_LABELS: Record<ScheduleField, string> = {
  id: 'id',
  kind: 'kind',
  backupType: 'backup type',
  cron: 'cron',
  timezone: 'time zone',
  window: 'window',
  'window.start': 'window start',
  'window.end': 'window end',
};

/** "Fix schedule 1 (cron) and schedule 2 (time zone), marked below." — the messages themselves sit under the fields. */
function fieldsToFix(rows: Map<number, Partial<Record<ScheduleField, string>>>): string {
  const parts = [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([i, fields]) => `schedule ${i + 1} (${Object.keys(fields).map((f) => FIELD_LABELS[f as ScheduleField] ?? f).join(', ')})`);
  return `Fix ${parts.join(' and ')}, marked below.`;
}

function ScheduleRow({
  index,
  draft: d,
  zonesId,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  draft: ScheduleDraft;
  zonesId: string;
  errors: Partial<Record<ScheduleField, string>>;
  onChange: (patch: Partial<ScheduleDraft>) => void;
  onRemove: () => void;
}) {
  const ids = useId();
  const preview = previewOf(d);
  const n = index + 1;
  const field = (name: ScheduleField, extra = '') => `field${errors[name] ? ' field-invalid' : ''}${extra}`;
  const aria = (name: ScheduleField) => ({
    id: `${ids}-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `${ids}-${name}-error` : undefined,
  });
  const error = (name: ScheduleField) =>
    errors[name] && (
      <small className="field-error" id={`${ids}-${name}-error`} data-testid={`schedule-error-${name}`}>
        {errors[name]}
      </small>
    );
  return (
    <li className={styles.row} aria-label={`Schedule ${n}`} data-testid="schedule-row">
      <div className="row">
        <div className={field('kind', ' grow')}>
          <label htmlFor={`${ids}-kind`}>Kind</label>
          <select value={d.kind} onChange={(e) => onChange({ kind: e.target.value as ScheduleKind })} {...aria('kind')}>
            <option value="backup">Backup</option>
            <option value="verify">Verify (newest unverified point)</option>
            <option value="prune">Prune (apply retention)</option>
          </select>
          {error('kind')}
        </div>
        {d.kind === 'backup' && (
          <div className={field('backupType', ' grow')}>
            <label htmlFor={`${ids}-backupType`}>Backup type</label>
            <select value={d.backupType} onChange={(e) => onChange({ backupType: e.target.value as BackupType })} {...aria('backupType')}>
              <option value="full">Full</option>
              <option value="incremental">Incremental</option>
              <option value="differential">Differential</option>
            </select>
            {error('backupType')}
          </div>
        )}
      </div>
      <div className="row">
        <div className={field('cron', ' grow')}>
          <label htmlFor={`${ids}-cron`}>Cron</label>
          <input className={styles.cron} autoComplete="off" spellCheck={false} value={d.cron} onChange={(e) => onChange({ cron: e.target.value })} placeholder="0 3 * * 0" {...aria('cron')} />
          {error('cron')}
        </div>
        <div className={field('timezone', ' grow')}>
          <label htmlFor={`${ids}-timezone`}>Time zone</label>
          <input autoComplete="off" list={zonesId} value={d.timezone} onChange={(e) => onChange({ timezone: e.target.value })} placeholder="UTC" {...aria('timezone')} />
          {error('timezone')}
        </div>
      </div>
      <div className={field('window')}>
        <label className="checkbox">
          <input type="checkbox" checked={d.hasWindow} onChange={(e) => onChange({ hasWindow: e.target.checked })} />
          <span>Only start inside a window</span>
        </label>
        {error('window')}
      </div>
      {d.hasWindow && (
        <div className="row">
          <div className={field('window.start', ' grow')}>
            <label htmlFor={`${ids}-window.start`}>Window start</label>
            <input type="time" value={d.windowStart} onChange={(e) => onChange({ windowStart: e.target.value })} {...aria('window.start')} />
            {error('window.start')}
          </div>
          <div className={field('window.end', ' grow')}>
            <label htmlFor={`${ids}-window.end`}>Window end</label>
            <input type="time" value={d.windowEnd} onChange={(e) => onChange({ windowEnd: e.target.value })} {...aria('window.end')} />
            {error('window.end')}
          </div>
        </div>
      )}
      <p className="small" data-testid="schedule-preview">
        {'error' in preview ? (
          <span className="muted">Not read yet: {preview.error}</span>
        ) : (
          <>
            <strong>{preview.words}</strong> <span className="muted">— next: {preview.next.join(', ')}</span>
          </>
        )}
      </p>
      <div>
        <button type="button" className="btn btn-sm btn-danger" onClick={onRemove} aria-label={`Remove schedule ${n}`}>
          Remove
        </button>
      </div>
    </li>
  );
}
