import { usageError } from './errors';
import { shown } from './format';

/** Reads `@path` (`@-`: standard input); injected so that tests need no files. */
export type ReadText = (path: string) => string;

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function jsonObject(text: string, from: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw usageError(`--target ${from} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw usageError(`--target ${from} must be a JSON object, e.g. {"database":"orders_restored"}`);
  return value as Record<string, unknown>;
}

/**
 * The restore target from `--target` values, merged left to right:
 * - `{"database":"orders_restored"}`: a JSON object;
 * - `@target.json` (`@-`: standard input): a JSON object from a file, the way to pass a target's password without
 *   putting it in argv (where `ps` and shell history see it);
 * - `key=value`: a string field (`database=orders_restored`);
 * - `key:=json`: a JSON field (`noPrivileges:=true`, `port:=6380`), as HTTPie writes them.
 * The engine's restore target schema on the server decides what the fields mean (`GET /engines` → `restoreForm`).
 */
export function parseTarget(values: readonly string[] | undefined, readText: ReadText): Record<string, unknown> {
  if (!values || values.length === 0) throw usageError('--target is required: e.g. --target database=orders_restored, or a JSON object');
  const target: Record<string, unknown> = {};
  const fromPairs = new Set<string>();
  for (const raw of values) {
    const value = raw.trim();
    if (value.startsWith('{')) {
      Object.assign(target, jsonObject(value, 'value'));
      continue;
    }
    if (value.startsWith('@')) {
      const path = value.slice(1);
      if (!path) throw usageError('--target @ needs a file name (or @- for standard input)');
      let text: string;
      try {
        text = readText(path);
      } catch (e) {
        throw usageError(`--target ${shown(value)}: cannot read ${path === '-' ? 'standard input' : shown(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      Object.assign(target, jsonObject(text, shown(value)));
      continue;
    }
    const json = value.indexOf(':=');
    const eq = value.indexOf('=');
    if (eq <= 0) throw usageError(`--target "${shown(value)}" is not key=value, key:=json, @file or a JSON object`);
    const isJson = json > 0 && json < eq;
    const key = value.slice(0, isJson ? json : eq);
    const rest = value.slice(eq + 1);
    if (!KEY.test(key)) throw usageError(`--target "${shown(value)}": "${shown(key)}" is not a field name`);
    if (fromPairs.has(key)) throw usageError(`--target gives ${key} twice`);
    fromPairs.add(key);
    if (isJson) {
      try {
        target[key] = JSON.parse(rest);
      } catch {
        throw usageError(`--target ${key}:= needs a JSON value (true, 6380, "text", …), not ${shown(rest)}`);
      }
    } else target[key] = rest;
  }
  return target;
}
