'use client';

import { useState } from 'react';
import type { EngineInfo } from '@/components/api/types';
import { fillPresetConfig, presetParameterIssue, presetParameterValues } from '@/lib/command-presets';

type Preset = NonNullable<EngineInfo['presets']>[number];

/**
 * "Start from a preset": pick one of the engine's presets, fill its parameters, and Apply fills the form's fields with
 * its config (the same substitution the server's `applyPreset` makes). Nothing is sent: the form is saved as usual.
 */
export function PresetPicker({ presets, onApply }: { presets: readonly Preset[]; onApply: (config: Record<string, unknown>, preset: Preset) => void }) {
  const [presetId, setPresetId] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [applied, setApplied] = useState<string | null>(null);
  const preset = presets.find((p) => p.id === presetId);

  const choose = (id: string) => {
    setPresetId(id);
    const next = presets.find((p) => p.id === id);
    setParams(Object.fromEntries((next?.parameters ?? []).map((p) => [p.name, p.default ?? ''])));
    setTouched(false);
    setApplied(null);
  };
  const filled = preset ? presetParameterValues(preset.parameters, params) : new Map<string, string>();
  const issues = Object.fromEntries((preset?.parameters ?? []).map((p) => [p.name, presetParameterIssue(p, filled.get(p.name) ?? '')]));
  const invalid = Object.values(issues).some((m) => m !== null);

  return (
    <fieldset className="field preset-picker" data-testid="preset-picker">
      <div className="field">
        <label htmlFor="source-preset">Start from a preset</label>
        <select id="source-preset" value={presetId} onChange={(e) => choose(e.target.value)} aria-describedby={preset ? 'source-preset-note' : undefined}>
          <option value="">(none: fill the fields yourself)</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
        {preset && (
          <small className="muted" id="source-preset-note" data-testid="preset-description">
            {preset.description}
          </small>
        )}
      </div>
      {preset && (
        <>
          {preset.help && (
            <p className="muted" data-testid="preset-help">
              {preset.help}
            </p>
          )}
          {preset.parameters.map((p) => {
            const id = `preset-param-${p.name}`;
            // A required parameter left empty is only pointed out once Apply was tried; a mismatch as it is typed.
            const issue = issues[p.name] && (touched || (params[p.name] ?? '').trim() !== '') ? issues[p.name] : null;
            return (
              <div className={`field${issue ? ' field-invalid' : ''}`} key={p.name}>
                <label htmlFor={id}>{p.label}</label>
                <input
                  id={id}
                  type="text"
                  autoComplete="off"
                  required={p.required}
                  placeholder={p.placeholder}
                  value={params[p.name] ?? ''}
                  aria-invalid={issue ? true : undefined}
                  aria-describedby={issue || p.help ? `${id}-note` : undefined}
                  onChange={(e) => {
                    setParams((v) => ({ ...v, [p.name]: e.target.value }));
                    setApplied(null);
                  }}
                />
                {issue ? (
                  <small className="field-error" id={`${id}-note`}>
                    {issue}
                  </small>
                ) : (
                  p.help && (
                    <small className="muted" id={`${id}-note`}>
                      {p.help}
                    </small>
                  )
                )}
              </div>
            );
          })}
          {preset.secretEnv && preset.secretEnv.length > 0 && (
            <p className="muted">The tool reads {preset.secretEnv.join(', ')}: type it in the secret environment below.</p>
          )}
          <div className="form-actions">
            <button
              type="button"
              className="btn"
              onClick={() => {
                setTouched(true);
                if (invalid) return;
                onApply(fillPresetConfig(preset.config, filled), preset);
                setApplied(preset.label);
              }}
            >
              Apply
            </button>
            {applied && (
              <small className="muted" role="status" data-testid="preset-applied">
                The fields below now hold the {applied} preset; check them before saving.
              </small>
            )}
          </div>
        </>
      )}
    </fieldset>
  );
}
