import { describe, expect, it } from 'vitest';

import { codecOf, codecSteps, isCodec, storedExtension } from './codec';
import { isArtifactError } from './errors';

describe('codec', () => {
  it('names the steps in the order they were applied', () => {
    expect(codecOf({ compressed: true, encrypted: true })).toBe('zstd+age');
    expect(codecOf({ compressed: true, encrypted: false })).toBe('zstd');
    expect(codecOf({ compressed: false, encrypted: true })).toBe('age');
    expect(codecOf({ compressed: false, encrypted: false })).toBe('none');
    expect(codecSteps('zstd+age')).toEqual(['zstd', 'age']);
    expect(codecSteps('none')).toEqual([]);
  });

  it('returns a fresh array, so reversing it for decoding cannot corrupt the table', () => {
    codecSteps('zstd+age').reverse();
    expect(codecSteps('zstd+age')).toEqual(['zstd', 'age']);
  });

  it('names files after what undoes them', () => {
    expect(storedExtension('pgdump', 'zstd+age')).toBe('pgdump.zst.age');
    expect(storedExtension('pgdump', 'zstd')).toBe('pgdump.zst');
    expect(storedExtension('pgdump', 'age')).toBe('pgdump.age');
    expect(storedExtension('pgdump', 'none')).toBe('pgdump');
  });

  it('refuses codecs it cannot undo', () => {
    for (const codec of ['age+zstd', 'gzip', '', 'toString', '__proto__']) {
      expect(isCodec(codec)).toBe(false);
      let caught: unknown;
      try {
        codecSteps(codec);
      } catch (err) {
        caught = err;
      }
      expect(isArtifactError(caught, 'INVALID_OPTIONS'), codec).toBe(true);
    }
  });
});
