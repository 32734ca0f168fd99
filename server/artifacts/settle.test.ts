import { describe, expect, it } from 'vitest';

import { ArtifactError } from './errors';
import { allOrRootCause } from './settle';

const later = <T>(ms: number, fn: () => T): Promise<T> => new Promise((resolve) => setTimeout(resolve, ms)).then(fn);

describe('allOrRootCause', () => {
  it('returns every value in order', async () => {
    await expect(allOrRootCause([Promise.resolve(1), later(5, () => 'two')])).resolves.toEqual([1, 'two']);
  });

  it('throws the root cause even when a cancellation settled first', async () => {
    const cancelled = Promise.reject(new ArtifactError('CANCELLED', 'the output stream was closed'));
    const cause = later(20, () => {
      throw new Error('pg_restore failed: relation already exists');
    });
    await expect(allOrRootCause([cancelled, cause])).rejects.toThrow('pg_restore failed');
  });

  it('throws a cancellation when that is all there is', async () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    await expect(allOrRootCause([Promise.reject(new ArtifactError('CANCELLED', 'cancelled')), Promise.reject(abort)])).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });
});
