import { EngineError, type AnyEngine } from '@/server/engines/engine';
import { DATA_ROLE, type PointObject } from './point-objects';

/**
 * The objects of a point a restore into `target` reads, in order: the engine's choice (`restoreObjects`, e.g. the
 * database named by `from`), or by default the point's only object, or its `data` object. Throws `INVALID_CONFIG`
 * (a readable refusal: the restore verb calls this when the restore is requested, the worker again when it runs)
 * when the target names nothing the point holds or the engine cannot restore the point's objects.
 */
export function chooseRestoreObjects(engine: AnyEngine, config: unknown, target: unknown, objects: readonly PointObject[]): PointObject[] {
  const byRole = new Map(objects.map((o) => [o.role, o]));
  if (engine.restoreObjects !== undefined) {
    const roles = engine.restoreObjects(
      config,
      target,
      objects.map((o) => ({ role: o.role, details: o.details, rawBytes: o.rawBytes === null ? null : Number(o.rawBytes) })),
    );
    const chosen = roles.map((role) => byRole.get(role));
    if (chosen.length === 0 || chosen.some((o) => o === undefined)) {
      throw new EngineError('INVALID_CONFIG', `the ${engine.label} engine chose objects this point does not hold (${roles.join(', ') || 'none'})`);
    }
    if (chosen.length > 1 && engine.restoreSet === undefined) {
      throw new EngineError('INVALID_CONFIG', `the ${engine.label} engine cannot restore several objects at once; choose one`);
    }
    return chosen as PointObject[];
  }
  if (objects.length === 1) return [objects[0]!];
  const data = byRole.get(DATA_ROLE);
  if (data !== undefined) return [data];
  throw new EngineError(
    'INVALID_CONFIG',
    `this recovery point holds ${objects.length} objects (${objects.map((o) => o.role).join(', ')}) and the ${engine.label} engine restores one at a time; download the one you need`,
  );
}
