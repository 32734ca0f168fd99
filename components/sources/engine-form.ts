import type { EngineFormField } from '@/components/api/types';

/** What the inputs of an engine-declared form hold: strings for text-like inputs and selects, booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

/** The inputs' first values: each field's default, or empty. */
export function initialValues(fields: readonly EngineFormField[]): FormValues {
  return Object.fromEntries(
    fields.map((f) => [f.name, f.type === 'checkbox' ? f.default === true : f.default === undefined ? '' : String(f.default)]),
  );
}

/**
 * The JSON the form sends. Empty optional inputs are left out (the schema's default applies); required text is sent
 * trimmed even when empty, so the server names the missing field; a number that does not look like one is sent as
 * typed, so the server can say what is wrong with it; a password is sent exactly as typed.
 */
export function valuesToJson(fields: readonly EngineFormField[], values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const value = values[f.name];
    if (f.type === 'checkbox') {
      out[f.name] = value === true;
      continue;
    }
    const raw = typeof value === 'string' ? value : '';
    if (f.type === 'password') {
      if (raw !== '') out[f.name] = raw;
      continue;
    }
    const text = raw.trim();
    if (text === '') {
      if (f.required && f.type === 'text') out[f.name] = '';
      continue;
    }
    out[f.name] = f.type === 'number' && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return out;
}

/** `20250101_1200` (UTC): minute resolution, sorts as text. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 13);
}

const PLACEHOLDER = /\{(config\.[A-Za-z0-9_]+|now)\}/g;

/**
 * Fills a restore field's template default (see `EngineFormField.default`): `{config.<key>}` → the source's config
 * value, `{now}` → `stamp(now)`. Config values are shortened from their end, evenly, so the result fits `maxLength`.
 */
export function fillTemplate(template: string, config: Record<string, unknown>, now: Date, maxLength?: number): string {
  const parts = template.split(PLACEHOLDER);
  // split() with a capturing group alternates literal text and placeholder names.
  const fixed = parts.map((p, i) => (i % 2 === 0 ? p : p === 'now' ? stamp(now) : '')).join('').length;
  const configParts = parts.filter((p, i) => i % 2 === 1 && p !== 'now').length;
  const room = maxLength === undefined || configParts === 0 ? Infinity : Math.max(1, Math.floor((maxLength - fixed) / configParts));
  return parts
    .map((p, i) => {
      if (i % 2 === 0) return p;
      if (p === 'now') return stamp(now);
      const value = config[p.slice('config.'.length)];
      return (typeof value === 'string' || typeof value === 'number' ? String(value) : 'restore').slice(0, room);
    })
    .join('');
}

/** Fields sharing a `row` grouped together, in form order. */
export function rowsOf(fields: readonly EngineFormField[]): EngineFormField[][] {
  const rows: EngineFormField[][] = [];
  for (const f of fields) {
    const last = rows.at(-1);
    if (f.row !== undefined && last?.[0]?.row === f.row) last.push(f);
    else rows.push([f]);
  }
  return rows;
}
