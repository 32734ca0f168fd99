/**
 * What a finished restore's `result` (the engine's answer, `GET /runs/{id}`) says, in the run page's terms. Engines
 * answer plain JSON; the fields read here are the ones EngineRestoreResult documents: `address` (where the restored
 * data can be reached), `password` (of a scratch instance), `expiresAt` (something left running until then, which
 * `POST /runs/{id}/stop` ends early), `stoppedAt`, and counts per database (`keys`). Anything else is ignored.
 */
export interface RestoreResultView {
  address: string | null;
  password: string | null;
  expiresAt: string | null;
  stoppedAt: string | null;
  /** `running` until stopped or expired; `none` when the result names nothing left running. */
  state: 'running' | 'stopped' | 'expired' | 'none';
  /** Keys per database (`[["db0", 12], …]`), in the engine's order. */
  counts: Array<[string, number]>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The view of a run's `result`, or null when there is none (or it is not an object). */
export function restoreResultView(result: unknown, now: number = Date.now()): RestoreResultView | null {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return null;
  const r = result as Record<string, unknown>;
  const expiresAt = text(r.expiresAt);
  const stoppedAt = text(r.stoppedAt);
  const expiresMs = expiresAt === null ? NaN : Date.parse(expiresAt);
  const state = stoppedAt !== null ? 'stopped' : Number.isNaN(expiresMs) ? 'none' : expiresMs <= now ? 'expired' : 'running';
  const keys = r.keys;
  const counts =
    keys !== null && typeof keys === 'object' && !Array.isArray(keys)
      ? Object.entries(keys as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number')
      : [];
  return { address: text(r.address), password: text(r.password), expiresAt, stoppedAt, state, counts };
}
