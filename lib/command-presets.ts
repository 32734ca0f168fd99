/**
 * Filling a preset (`EnginePreset`, the capture command engine's kubectl, helm, etcd … commands): `{param.<name>}` in
 * the config's strings replaced by the parameter's value, `env` entries left empty dropped. Pure and plain JSON: the
 * server's `applyPreset` and the new-source form fill a preset the same way.
 */

/** The parts of a preset parameter the checks need (structurally `EnginePresetParameter`). */
export interface PresetParameterSpec {
  name: string;
  label: string;
  required?: boolean;
  default?: string;
  pattern: string;
}

const PARAM = /\{param\.([A-Za-z0-9_]+)\}/g;

/** Each parameter's value: the one given, else its default, else empty; trimmed. */
export function presetParameterValues(parameters: readonly PresetParameterSpec[], values: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(parameters.map((p) => [p.name, (values[p.name] ?? p.default ?? '').trim()]));
}

/** What is wrong with one parameter's value, in words: missing when required, or not matching its pattern. */
export function presetParameterIssue(parameter: PresetParameterSpec, value: string): string | null {
  if (value === '') return parameter.required ? `${parameter.label} is required` : null;
  return new RegExp(parameter.pattern).test(value) ? null : `${parameter.label} ${JSON.stringify(value)} is not valid`;
}

/** Every `{param.<name>}` in a preset's config replaced (unknown names by empty); `env` entries left empty dropped. */
export function fillPresetConfig(config: Readonly<Record<string, unknown>>, filled: ReadonlyMap<string, string>): Record<string, unknown> {
  const fill = (text: string) => text.replace(PARAM, (_m, name: string) => filled.get(name) ?? '');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (Array.isArray(value)) out[key] = value.map((a) => fill(String(a)));
    else if (key === 'env' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, string>)
          .map(([k, v]) => [k, fill(String(v))])
          .filter(([, v]) => v !== ''),
      );
    } else out[key] = typeof value === 'string' ? fill(value) : value;
  }
  return out;
}
