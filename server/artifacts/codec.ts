import { ArtifactError } from './errors';

/**
 * How the stored bytes were made from the raw stream, as recorded in the manifest: the steps applied in order,
 * joined by "+". Reading undoes them in reverse.
 *
 *   none        stored = raw
 *   zstd        stored = zstd(raw)
 *   age         stored = age(raw)
 *   zstd+age    stored = age(zstd(raw))      compress first: encrypted bytes do not compress
 */
export type Codec = 'none' | 'zstd' | 'age' | 'zstd+age';
export type CodecStep = 'zstd' | 'age';

const STEPS: Record<Codec, CodecStep[]> = {
  none: [],
  zstd: ['zstd'],
  age: ['age'],
  'zstd+age': ['zstd', 'age'],
};

// File-name suffix per step, the ones the zstd and age tools themselves use.
const SUFFIX: Record<CodecStep, string> = { zstd: '.zst', age: '.age' };

export function isCodec(value: string): value is Codec {
  return Object.hasOwn(STEPS, value);
}

/** The steps of `codec`, in the order they were applied when writing. Throws `INVALID_OPTIONS` for an unknown codec. */
export function codecSteps(codec: string): CodecStep[] {
  if (!isCodec(codec)) {
    throw new ArtifactError('INVALID_OPTIONS', `unknown artifact codec ${JSON.stringify(codec)} (known: ${Object.keys(STEPS).join(', ')})`);
  }
  return [...STEPS[codec]];
}

export function codecOf(options: { compressed: boolean; encrypted: boolean }): Codec {
  if (options.compressed && options.encrypted) return 'zstd+age';
  if (options.compressed) return 'zstd';
  if (options.encrypted) return 'age';
  return 'none';
}

/**
 * What the codec adds to a file name: `pgdump` + `zstd+age` → `pgdump.zst.age`, so that `layout.runArtifactKeys`
 * names an object after what a human needs to undo it.
 */
export function storedExtension(baseExtension: string, codec: string): string {
  return baseExtension + codecSteps(codec).map((step) => SUFFIX[step]).join('');
}
