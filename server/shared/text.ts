import { z } from 'zod';

/**
 * Control characters no field of this API has a use for: C0 except tab, line feed and carriage return, DEL, and C1
 * (U+0080–U+009F). PostgreSQL refuses NUL in text outright (a 500 before this check), and the others end up in
 * audit details, log lines and terminals where they can hide or forge text.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` holds a control character (see CONTROL) or a lone UTF-16 surrogate, which no encoder can write. */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s) || LONE_SURROGATE.test(s);
}

export const CONTROL_CHARS_MESSAGE = 'must not contain control characters';

/** For a domain schema's own strings: `z.string().refine(...noControlChars)`. */
export const noControlChars = [(s: string) => !hasControlChars(s), { message: CONTROL_CHARS_MESSAGE }] as const;

/** Cap on how much of a key is shown in an error path: a hostile key can be a megabyte long. */
const SHOWN_KEY_CHARS = 40;

/** A control-character-free, bounded rendering of an object key for an error path. */
function shownKey(key: string): string {
  // eslint-disable-next-line no-control-regex -- replacing control characters is the point
  const clean = key.replace(/[\u0000-\u001F\u007F-\u009F]|[\uD800-\uDFFF]/g, '?');
  return clean.length > SHOWN_KEY_CHARS ? `${clean.slice(0, SHOWN_KEY_CHARS)}…` : clean;
}

/**
 * How deep an input may nest objects and arrays. The deepest body this API takes (a policy's
 * `copies[i].retention.tiers[j].afterDays`) is 6 levels; 32 leaves room for engine configs, while a 1 MiB body of
 * `{"a":{"a":…}}` (hundreds of thousands of levels) is refused before any recursive code (this walk, zod,
 * JSON.stringify into an audit row) can overflow the stack.
 */
export const MAX_INPUT_DEPTH = 32;

function walk(value: unknown, path: (string | number)[], report: (path: (string | number)[], message: string) => void): void {
  if (typeof value === 'string') {
    if (hasControlChars(value)) report(path, CONTROL_CHARS_MESSAGE);
  } else if (value !== null && typeof value === 'object' && path.length >= MAX_INPUT_DEPTH) {
    report(path, `must not nest objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, [...path, i], report));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (hasControlChars(key)) report([...path, shownKey(key)], 'key must not contain control characters');
      walk(item, [...path, key], report);
    }
  }
}

/**
 * Any parsed JSON value (or a record of query/path parameters) whose strings, at any depth, and object keys are
 * free of control characters, nested at most MAX_INPUT_DEPTH levels. The refinement shared by every input the HTTP edge accepts.
 */
export const CleanInput = z.unknown().superRefine((value, ctx) => {
  walk(value, [], (path, message) => ctx.addIssue({ code: 'custom', path, message }));
});

/**
 * Throws a ZodError (422 VALIDATION at the HTTP edge) naming every offending field under `root`, e.g.
 * `body.config.path` or `query.targetId`.
 */
export function assertCleanInput(value: unknown, root: string): void {
  const parsed = CleanInput.safeParse(value);
  if (parsed.success) return;
  throw new z.ZodError(parsed.error.issues.map((i) => ({ ...i, path: [root, ...i.path] })));
}
