/**
 * The typed confirmation of a destructive restore mode made of several restore target fields
 * (`EngineRestoreMode.confirmationTemplate`, e.g. `{host}:{port|6379}` for "cache2:6379"). `{name}` stands for the
 * field's value, `{name|fallback}` for it or, when empty, the fallback (what the engine takes for an empty field).
 * Pure: the server's conformance suite and the restore dialog fill it the same way.
 */
const PLACEHOLDER = /\{([A-Za-z0-9_]+)(?:\|([^}]*))?\}/g;

/** The field names a template refers to, in order. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** The template with each placeholder replaced by the field's value (trimmed; numbers as written), or its fallback. */
export function fillConfirmationTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(PLACEHOLDER, (_all, name: string, fallback: string | undefined) => {
    const value = values[name];
    const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
    return text !== '' ? text : (fallback ?? '');
  });
}
