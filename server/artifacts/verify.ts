import { createHash } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { ArtifactError } from './errors';
import {
  createReadPipeline,
  decodeInto,
  validateReadOptions,
  type DecodeIntoOptions,
  type DecodeIntoResult,
  type ReadPipeline,
  type ReadPipelineOptions,
} from './read-pipeline';

export interface VerifyOptions {
  signal?: AbortSignal;
  /** Called with the bytes hashed so far, once per chunk; throttle on the caller's side if needed. */
  onProgress?: (bytes: number) => void;
}

/**
 * Reads `stored` to the end and checks its size and sha256 against the recorded ones, holding one chunk at a time.
 * Throws `SIZE_MISMATCH` (as soon as the object runs past `expectedBytes`, or at the end if it is short),
 * `CHECKSUM_MISMATCH`, `CANCELLED`, or the stream's own error (e.g. a StorageError) unchanged.
 */
export async function verifyStored(
  stored: Readable,
  expectedSha256: string,
  expectedBytes?: number,
  options: VerifyOptions = {},
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (expectedBytes !== undefined && bytes > expectedBytes) {
        callback(new ArtifactError('SIZE_MISMATCH', `the stored object is longer than the recorded ${expectedBytes} bytes`));
        return;
      }
      hash.update(chunk);
      options.onProgress?.(bytes);
      callback();
    },
  });
  try {
    await pipeline(stored, sink, ...(options.signal !== undefined ? [{ signal: options.signal }] : []));
  } catch (err) {
    if (options.signal?.aborted) throw new ArtifactError('CANCELLED', 'verification was cancelled', { cause: err });
    throw err;
  }
  if (expectedBytes !== undefined && bytes !== expectedBytes) {
    throw new ArtifactError('SIZE_MISMATCH', `the stored object is ${bytes} bytes, expected ${expectedBytes}`);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== expectedSha256.toLowerCase()) {
    throw new ArtifactError('CHECKSUM_MISMATCH', `the stored object has sha256 ${sha256}, expected ${expectedSha256.toLowerCase()}`);
  }
  return { bytes, sha256 };
}

export interface VerifyAndDecodeOptions extends ReadPipelineOptions {
  /** Progress of the verification pass (bytes of the stored object hashed so far). */
  onVerifyProgress?: (bytes: number) => void;
}

/**
 * Two passes, so that a corrupt, truncated or swapped object is refused before a single byte reaches the consumer:
 * first `verifyStored` over one read of the object, then a second `openStored()` decoded by `createReadPipeline`
 * (which checks the stored hash again, in case the object changed in between, and the raw hash when given).
 *
 * Costs one extra read of the stored object; worth it because a restore target, once fed, cannot un-see bytes.
 * Rejects before returning a stream if verification fails; `openStored` is then called only once.
 */
export async function verifyAndDecode(openStored: () => Promise<Readable>, opts: VerifyAndDecodeOptions): Promise<ReadPipeline> {
  // Bad options or keys are refused before spending a full read of the object.
  validateReadOptions(opts);
  if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'verification was cancelled');
  const first = await openStored();
  await verifyStored(first, opts.expectedStoredSha256, opts.expectedStoredBytes, {
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.onVerifyProgress !== undefined && { onProgress: opts.onVerifyProgress }),
  });
  if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'restore was cancelled after verification');
  const second = await openStored();
  return createReadPipeline(second, opts);
}

export interface VerifyAndDecodeIntoOptions extends DecodeIntoOptions {
  /** Progress of the verification pass (bytes of the stored object hashed so far). */
  onVerifyProgress?: (bytes: number) => void;
}

/**
 * `verifyAndDecode` for the direct restore path: the same first full read (size and sha256) before anything is
 * decoded, then a function that opens the second read and decodes it straight into `sink` (`decodeInto`: the last
 * decoder writes into the sink's descriptor). The second read is hashed again, so an object swapped between the two
 * reads makes the returned promise reject (after the sink's tool may have seen it all: its owner must undo the
 * restore, see `Engine.restoreFrom`). The sink is closed on every path, including a failure to open the second read.
 */
export async function verifyAndDecodeInto(
  openStored: () => Promise<Readable>,
  opts: VerifyAndDecodeIntoOptions,
): Promise<(sink: Writable) => Promise<DecodeIntoResult>> {
  validateReadOptions(opts);
  if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'verification was cancelled');
  const first = await openStored();
  await verifyStored(first, opts.expectedStoredSha256, opts.expectedStoredBytes, {
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.onVerifyProgress !== undefined && { onProgress: opts.onVerifyProgress }),
  });
  return async (sink) => {
    try {
      if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'restore was cancelled after verification');
      const second = await openStored();
      return await decodeInto(second, sink, opts);
    } catch (err) {
      // decodeInto closes the sink itself once it runs; this covers everything before that.
      sink.destroy();
      throw err;
    }
  };
}
