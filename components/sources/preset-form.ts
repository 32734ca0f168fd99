import type { EngineFormField } from '@/components/api/types';
import { initialValues, type FormValues } from './engine-form';

/**
 * The new-source form's inputs after applying a preset's (filled) config: lists one argument per line, objects as
 * `NAME=value` lines (both shapes the command config schema reads from text), numbers and booleans as the inputs hold
 * them. Fields the config does not name go back to their defaults, except passwords (secret variables), which keep
 * what was typed. Keys the form has no field for are left out.
 */
export function presetFormValues(fields: readonly EngineFormField[], config: Readonly<Record<string, unknown>>, current: FormValues): FormValues {
  const out = initialValues(fields);
  for (const f of fields) {
    if (f.type === 'password' && current[f.name] !== undefined) out[f.name] = current[f.name]!;
    if (!(f.name in config)) continue;
    const value = config[f.name];
    if (f.type === 'checkbox') out[f.name] = value === true;
    else if (Array.isArray(value)) out[f.name] = value.map(String).join('\n');
    else if (typeof value === 'object' && value !== null) {
      out[f.name] = Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('\n');
    } else if (value !== undefined && value !== null) out[f.name] = String(value);
  }
  return out;
}
