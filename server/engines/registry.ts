import { commandEngine } from './command';
import { EngineError, type AnyEngine } from './engine';
import { postgresEngine } from './postgres';
import { redisEngine } from './redis';

/**
 * Every engine Lifeboat runs, and the only place that lists them: a new engine is its folder plus one line here.
 * Everything else (source input, restore targets, manifests, the dashboard's forms) is read from the engine.
 */
export const ENGINES: readonly AnyEngine[] = [postgresEngine, redisEngine, commandEngine];

export interface EngineRegistry {
  /** Kinds in registration order. */
  readonly kinds: readonly string[];
  readonly engines: readonly AnyEngine[];
  isKind(kind: string): boolean;
  /** Throws `EngineError('UNKNOWN_ENGINE')` for an unknown kind. */
  get(kind: string): AnyEngine;
}

/**
 * A registry over `engines` (kinds must be unique). Production code uses the one below; a test may build one from
 * `[...ENGINES, itsEngine]` to run an engine that must never ship.
 */
export function createEngineRegistry(engines: readonly AnyEngine[]): EngineRegistry {
  const byKind = new Map<string, AnyEngine>();
  for (const engine of engines) {
    if (byKind.has(engine.kind)) throw new Error(`engine kind ${JSON.stringify(engine.kind)} is registered twice`);
    byKind.set(engine.kind, engine);
  }
  const kinds = [...byKind.keys()];
  return {
    kinds,
    engines: [...byKind.values()],
    isKind: (kind) => byKind.has(kind),
    get(kind) {
      const engine = byKind.get(kind);
      if (engine === undefined) throw new EngineError('UNKNOWN_ENGINE', `unknown engine kind ${JSON.stringify(kind)}; known: ${kinds.join(', ')}`);
      return engine;
    },
  };
}

export const engineRegistry = createEngineRegistry(ENGINES);

export type EngineKind = string;

export const ENGINE_KINDS: readonly EngineKind[] = engineRegistry.kinds;

export function isEngineKind(kind: string): kind is EngineKind {
  return engineRegistry.isKind(kind);
}

/**
 * The engine for a source's `kind`. Its methods validate config/secrets/target themselves, so raw JSON from
 * the database can be passed straight in. Throws `EngineError('UNKNOWN_ENGINE')` for an unknown kind.
 */
export function getEngine(kind: string): AnyEngine {
  return engineRegistry.get(kind);
}
