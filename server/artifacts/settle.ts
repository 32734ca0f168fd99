/**
 * Awaits every promise of a streaming hand-off (engine, pipeline, storage) and, if any failed, throws the one
 * that says why. When one link fails the others are stopped and report `CANCELLED` ("my consumer went away"),
 * and whichever settles first is an accident of timing; the root cause is the first non-cancellation error.
 * Only if every failure is a cancellation (the user cancelled) is that what gets thrown.
 *
 *   const [stored, dumped, piped] = await allOrRootCause([driver.put(key, p.stream), backup.done, p.done]);
 */
export async function allOrRootCause<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) throw failures.find((err) => !isCancellation(err)) ?? failures[0];
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** An EngineError/ArtifactError `CANCELLED`, or an AbortError: "stopped because someone else did", not a cause. */
export function isCancellation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, name } = err as { code?: unknown; name?: unknown };
  return code === 'CANCELLED' || code === 'ABORT_ERR' || name === 'AbortError';
}
