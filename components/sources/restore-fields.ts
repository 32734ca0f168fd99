/**
 * Which restore form fields the dialog shows for a point and a mode, and what they start with. Pure, for tests: the
 * engine declares the fields (`restoreForm`), a mode may name the ones it uses (`EngineRestoreMode.fields`), and a
 * select may take its choices from the point's objects (`EngineFormField.optionsFrom`, PostgreSQL's `from`).
 */

import type { EngineFormField, EngineInfo } from '@/components/api/types';
import { fillTemplate, type FormValues } from './engine-form';
import { pointObjectViews } from './object-details';

type EngineRestoreModeInfo = EngineInfo['restoreModes'][number];
type Choice = { value: string; label: string };

/**
 * The choices of an `optionsFrom` field: the distinct string values of `details[objectDetail]` among the point's
 * objects, in their order (a PostgreSQL point of several databases: one per database archive; its globals name none).
 */
export function pointChoices(field: Pick<EngineFormField, 'optionsFrom'>, point: { sizeBytes: number; objects?: unknown }): Choice[] {
  const key = field.optionsFrom?.objectDetail;
  if (key === undefined) return [];
  const seen = new Set<string>();
  for (const o of pointObjectViews(point)) {
    const value = o.details[key];
    if (typeof value === 'string' && value !== '') seen.add(value);
  }
  return [...seen].map((value) => ({ value, label: value }));
}

/**
 * The restore form for this point: an `optionsFrom` field becomes a required select of the point's choices when
 * there are several, and is left out when there are fewer (nothing to choose: the engine takes the only one).
 */
export function fieldsForPoint(fields: readonly EngineFormField[], point: { sizeBytes: number; objects?: unknown }): EngineFormField[] {
  return fields.flatMap((f) => {
    if (f.optionsFrom === undefined) return [f];
    const options = pointChoices(f, point);
    return options.length > 1 ? [{ ...f, type: 'select' as const, required: true, options }] : [];
  });
}

/** The fields a mode uses (`fields`; absent: all), in form order. Only these are shown and sent. */
export function fieldsInMode(fields: readonly EngineFormField[], mode: Pick<EngineRestoreModeInfo, 'fields'> | undefined): EngineFormField[] {
  const used = mode?.fields;
  return used === undefined ? [...fields] : fields.filter((f) => used.includes(f.name));
}

/**
 * The dialog's first values: each field's default, a text template filled from the source's config (see
 * `EngineFormField.default`), a required select without one its first choice.
 */
export function targetDefaults(fields: readonly EngineFormField[], sourceConfig: Record<string, unknown>, now: Date): FormValues {
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.type === 'checkbox'
        ? f.default === true
        : typeof f.default === 'string'
          ? fillTemplate(f.default, sourceConfig, now, f.maxLength)
          : f.default !== undefined
            ? String(f.default)
            : f.type === 'select' && f.required
              ? (f.options?.[0]?.value ?? '')
              : '',
    ]),
  );
}

/**
 * The source's config as the chosen `optionsFrom` values see it: a choice of the point's databases stands for the
 * config key of the same name (PostgreSQL's `from: crm` → `database: crm`), so a default such as
 * `{config.database}_restore_{now}` names the database being restored, not the one the source connects to.
 */
export function configForChoices(fields: readonly EngineFormField[], sourceConfig: Record<string, unknown>, values: FormValues): Record<string, unknown> {
  const config = { ...sourceConfig };
  for (const f of fields) {
    const key = f.optionsFrom?.objectDetail;
    const value = values[f.name];
    if (key !== undefined && typeof value === 'string' && value !== '') config[key] = value;
  }
  return config;
}

/**
 * The values after `name` changed to `value`: when it is an `optionsFrom` choice, every text field the person has not
 * edited (`touched`) and whose default is a template takes its default again for the new choice.
 */
export function withChange(
  fields: readonly EngineFormField[],
  sourceConfig: Record<string, unknown>,
  values: FormValues,
  touched: ReadonlySet<string>,
  name: string,
  value: string | boolean,
  now: Date,
): FormValues {
  const next = { ...values, [name]: value };
  if (fields.find((f) => f.name === name)?.optionsFrom === undefined) return next;
  const fresh = targetDefaults(fields, configForChoices(fields, sourceConfig, next), now);
  for (const f of fields) {
    if (f.name !== name && !touched.has(f.name) && typeof f.default === 'string' && f.default.includes('{')) next[f.name] = fresh[f.name]!;
  }
  return next;
}

/** The dialog's first values: `targetDefaults`, with templates filled for the preselected choices (`configForChoices`). */
export function dialogDefaults(fields: readonly EngineFormField[], sourceConfig: Record<string, unknown>, now: Date): FormValues {
  const first = targetDefaults(fields, sourceConfig, now);
  const filled = targetDefaults(fields, configForChoices(fields, sourceConfig, first), now);
  // The choices themselves stay as first made (a required select: its first option).
  for (const f of fields) if (f.optionsFrom !== undefined) filled[f.name] = first[f.name]!;
  return filled;
}
