import { createHash, type Hash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
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

/** A read that ran past the recorded size: refused as soon as it does. */
function tooLong(expectedBytes: number): ArtifactError {
  return new ArtifactError('SIZE_MISMATCH', `the stored object is longer than the recorded ${expectedBytes} bytes`);
}

/** The end of a verification read: the size and the sha256 against the recorded ones. */
function verdict(bytes: number, hash: Hash, expectedSha256: string, expectedBytes: number | undefined): { bytes: number; sha256: string } {
  if (expectedBytes !== undefined && bytes !== expectedBytes) {
    throw new ArtifactError('SIZE_MISMATCH', `the stored object is ${bytes} bytes, expected ${expectedBytes}`);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== expectedSha256.toLowerCase()) {
    throw new ArtifactError('CHECKSUM_MISMATCH', `the stored object has sha256 ${sha256}, expected ${expectedSha256.toLowerCase()}`);
  }
  return { bytes, sha256 };
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
        callback(tooLong(expectedBytes));
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
  return verdict(bytes, hash, expectedSha256, expectedBytes);
}

// Positional reads of a local file, this many bytes each; the next is in flight while the previous one is hashed.
const FILE_READ_BYTES = 1024 * 1024;

/**
 * `verifyStored` for an object that is an open local file: its size and sha256, in positional reads into two reused
 * buffers (no stream, no allocation per chunk; the next read is on libuv's pool while this thread hashes), so the
 * descriptor's own offset stays at 0 for whoever reads it next (a decoder given the descriptor, see `decodeInto`).
 */
export async function verifyFile(fh: FileHandle, expectedSha256: string, expectedBytes?: number, options: VerifyOptions = {}): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let mine = Buffer.allocUnsafe(FILE_READ_BYTES);
  let next = Buffer.allocUnsafe(FILE_READ_BYTES);
  let bytes = 0;
  let reading = fh.read(mine, 0, FILE_READ_BYTES, 0);
  for (;;) {
    const { bytesRead } = await reading;
    if (options.signal?.aborted) throw new ArtifactError('CANCELLED', 'verification was cancelled');
    if (bytesRead === 0) break;
    bytes += bytesRead;
    if (expectedBytes !== undefined && bytes > expectedBytes) {
      throw tooLong(expectedBytes);
    }
    [mine, next] = [next, mine];
    reading = fh.read(mine, 0, FILE_READ_BYTES, bytes);
    hash.update(next.subarray(0, bytesRead));
    options.onProgress?.(bytes);
  }
  return verdict(bytes, hash, expectedSha256, expectedBytes);
}

/** Where a stored object can be read: a stream always, an open file when the store keeps local files. */
export interface StoredObjectSource {
  get(key: string): Promise<Readable>;
  openFile?(key: string): Promise<FileHandle>;
}

/**
 * Size and sha256 of one stored object, read the cheapest way its store allows: a local file (`openFile`) by
 * positional reads into two reused buffers (`verifyFile`, closed after), anything else as a stream (`verifyStored`).
 * Throws what those throw, and the store's own error for an object that cannot be opened (`NOT_FOUND` …).
 */
export async function verifyStoredAt(
  store: StoredObjectSource,
  key: string,
  expectedSha256: string,
  expectedBytes?: number,
  options: VerifyOptions = {},
): Promise<{ bytes: number; sha256: string }> {
  if (store.openFile === undefined) return verifyStored(await store.get(key), expectedSha256, expectedBytes, options);
  const fh = await store.openFile(key);
  try {
    return await verifyFile(fh, expectedSha256, expectedBytes, options);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** What identifies a file's content without reading it: any write to it moves its ctime, which no user can set back. */
function fileIdentity(stats: BigIntStats): string {
  return [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].join(':');
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
 * decoded, then a function that decodes the object straight into `sink` (`decodeInto`: the last decoder writes into
 * the sink's descriptor). What the decoders read must be what was verified; an object that changed after the
 * verification makes the returned promise reject (after the sink's tool may have seen it all: its owner must undo the
 * restore, see `Engine.restoreFrom`). The sink is closed on every path, including a failure to open the second read.
 *
 * `openStored` gives a stream, or an open local file (`StorageDriver.openFile`, a spool file):
 * - a file first: it is verified by positional reads and then the very same descriptor is age's stdin, so the object
 *   is read once by this process and once by age, and not copied through here; the file's identity (device, inode,
 *   size, mtime, ctime) is taken before the verification and compared once the decoders exited: a write to the file
 *   in between fails the restore (`CHECKSUM_MISMATCH`). `openStored` is called once; the caller closes the file.
 * - a stream first (a remote object): it is verified, then `openStored` is called again for the decode: a stream is
 *   hashed again on its way through (a mismatch is `CHECKSUM_MISMATCH`, another length `SIZE_MISMATCH`); a file (the
 *   spool of the first read) is read by age itself, with the identity check from its opening on.
 */
export async function verifyAndDecodeInto(
  openStored: () => Promise<Readable | FileHandle>,
  opts: VerifyAndDecodeIntoOptions,
): Promise<(sink: Writable) => Promise<DecodeIntoResult>> {
  validateReadOptions(opts);
  if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'verification was cancelled');
  const verifyOptions = {
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.onVerifyProgress !== undefined && { onProgress: opts.onVerifyProgress }),
  };
  const first = await openStored();
  let verified: { file: FileHandle; identity: string } | undefined;
  if (first instanceof Readable) {
    await verifyStored(first, opts.expectedStoredSha256, opts.expectedStoredBytes, verifyOptions);
  } else {
    verified = { file: first, identity: fileIdentity(await first.stat({ bigint: true })) };
    await verifyFile(first, opts.expectedStoredSha256, opts.expectedStoredBytes, verifyOptions);
  }
  return async (sink) => {
    try {
      if (opts.signal?.aborted) throw new ArtifactError('CANCELLED', 'restore was cancelled after verification');
      let read = verified;
      if (read === undefined) {
        const second = await openStored();
        if (second instanceof Readable) return await decodeInto(second, sink, opts);
        read = { file: second, identity: fileIdentity(await second.stat({ bigint: true })) };
      }
      const decoded = await decodeInto({ inputFd: read.file.fd }, sink, opts);
      const after = await read.file.stat({ bigint: true });
      if (fileIdentity(after) !== read.identity) {
        // Written to (or moved, or deleted: a link count change moves the ctime too): what age read is not known to be what was verified.
        throw new ArtifactError('CHECKSUM_MISMATCH', 'the stored object changed while it was being restored (written to, moved or deleted): what was restored is not known to be what was verified');
      }
      return { ...decoded, storedBytes: Number(after.size), storedSha256: opts.expectedStoredSha256.toLowerCase() };
    } catch (err) {
      // decodeInto closes the sink itself once it runs; this covers everything before that.
      sink.destroy();
      throw err;
    }
  };
}
