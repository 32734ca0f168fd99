import { EngineError, type AnyEngine } from './engine';
import { postgresEngine } from './postgres';

const engines = {
  postgres: postgresEngine,
} satisfies Record<string, AnyEngine>;

export type EngineKind = keyof typeof engines;

export const ENGINE_KINDS = Object.keys(engines) as EngineKind[];

export function isEngineKind(kind: string): kind is EngineKind {
  return Object.hasOwn(engines, kind);
}

/**
 * The engine for a source's `kind`. Its methods validate config/secrets/target themselves, so raw JSON from
 * the database can be passed straight in. Throws `EngineError('UNKNOWN_ENGINE')` for an unknown kind.
 */
export function getEngine(kind: string): AnyEngine {
  if (!isEngineKind(kind)) throw new EngineError('UNKNOWN_ENGINE', `unknown engine kind ${JSON.stringify(kind)}; known: ${ENGINE_KINDS.join(', ')}`);
  return engines[kind];
}
