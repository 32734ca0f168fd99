import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * The storage contract every backend (local disk, S3, …) implements.
 *
 * Keys are opaque, slash-separated strings built only by `layout.ts`; drivers validate them but never invent them.
 * Objects are immutable by default: `put` refuses to replace an existing key unless told to, so a retried
 * backup can never silently clobber an artifact that a manifest already points at.
 */
export interface StorageDriver {
  /** Short name for logs and metrics, e.g. `local-disk`. */
  readonly kind: string;

  /**
   * Streams `body` into `key`, computing size and sha256 on the way.
   *
   * Resolves only once the backend holds the object and the driver has checked that what it holds is what was
   * sent, as far as the backend allows: local disk by writing it itself and syncing; S3 by a re-read compared by
   * sha256 (`verify: full`), or by the store's own verification of the checksums sent with every part
   * (`verify: auto`, re-reading when the store does not confirm them). `sha256` is always the driver's own hash
   * of the bytes it read from `body`.
   *
   * Atomic: readers see either nothing or the complete object. If `body` errors, the signal aborts or the
   * backend fails, the promise rejects and nothing is left under `key`. An error raised by `body` itself
   * is rethrown unchanged (so an engine's failure reaches the caller with its own code); backend failures
   * are `StorageError`s.
   */
  put(key: string, body: Readable, opts?: PutOptions): Promise<PutResult>;

  /**
   * `put` for bytes written by a child process straight into the object's temporary file, so they never pass
   * through this process (local disk; a driver that cannot hand out a descriptor leaves it out and callers use
   * `put`). The driver creates the temporary file and calls `attach` with its descriptor (open for writing; lent:
   * the tool gets its own copy at spawn, the driver closes its own). `attach` must resolve only once every process
   * that writes into it exited 0, and reject on any failure or cancellation (`opts.signal` is the caller's to
   * honour there too); nothing is committed unless it resolved. The writers must write front to back, never seeking
   * (a tool's stdout): the driver may hash the file while it grows. Then the driver syncs the file, finishes hashing
   * what it holds, and commits it like `put`: the same atomicity, `CONFLICT` and `overwrite` rules, and `PutResult`
   * (`sha256` of the bytes the file holds). A rejection of `attach` is rethrown unchanged.
   */
  putFromTool?(key: string, attach: (fd: number) => Promise<void>, opts?: PutOptions): Promise<PutResult>;

  /** Opens the object for reading. Rejects with `NOT_FOUND` before any byte is read if the key is absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;

  /**
   * The object as an open local file, for a child process to read directly (a restore's first decoder: the bytes
   * then never pass through this process), only in drivers whose objects are local files (local disk; others leave
   * it out and callers use `get`). Read-only; the caller closes it. `NOT_FOUND` like `get`.
   */
  openFile?(key: string): Promise<FileHandle>;

  /** Size of the object, or null if absent. */
  head(key: string): Promise<ObjectHead | null>;

  /** Every key starting with `prefix` (a plain string prefix, not only a folder), sorted ascending. */
  list(prefix: string): Promise<string[]>;

  /** Removes the object. Idempotent: deleting an absent key succeeds, so retention sweeps can be retried. */
  delete(key: string): Promise<void>;

  /**
   * Moves an existing object to another storage class in place (same key, same bytes). Optional: a driver
   * without storage classes (local disk) leaves it out and callers skip the transition. `NOT_FOUND` if absent.
   */
  setStorageClass?(key: string, storageClass: string): Promise<void>;

  /**
   * Sets a WORM retention on an existing object: the backend refuses to delete or overwrite it before `until`.
   * Optional: only drivers over storage with object locking implement it.
   */
  setRetention?(key: string, until: Date, mode: RetentionMode): Promise<void>;
}

/** S3 Object Lock modes: GOVERNANCE can be bypassed by a privileged principal, COMPLIANCE by nobody. */
export type RetentionMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface PutOptions {
  /** Aborting stops the upload, destroys `body` and leaves nothing under the key. */
  signal?: AbortSignal;
  /** Replace an existing object instead of failing with `CONFLICT`. Default false. */
  overwrite?: boolean;
}

export interface PutResult {
  key: string;
  /** Bytes stored. */
  size: number;
  /** Lowercase hex sha256 of the stored bytes. */
  sha256: string;
}

export interface ObjectHead {
  size: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. `end` omitted means "to the end". */
export interface ByteRange {
  start: number;
  end?: number;
}

export type StorageErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'IO'
  | 'INVALID_KEY'
  /** Range outside the object or malformed (start > end, negative, non-integer). */
  | 'INVALID_RANGE';

export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

// S3's own limit; holding every driver to it means a key that works on local disk also works on S3.
const MAX_KEY_BYTES = 1024;

/**
 * Keys are portable across drivers: relative, slash-separated, no `.`/`..`/empty segments, no backslashes,
 * no control characters (NUL included). Throws `INVALID_KEY`.
 */
export function assertValidKey(key: string): void {
  checkKeyText(key, 'key');
  if (key.length === 0) throw invalidKey(key, 'key is empty');
  if (key.endsWith('/')) throw invalidKey(key, 'key ends with "/"');
}

/** Like `assertValidKey`, but the empty prefix (everything) and a trailing slash are allowed. */
export function assertValidPrefix(prefix: string): void {
  checkKeyText(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix');
}

function checkKeyText(key: string, what: string): void {
  if (typeof key !== 'string') throw invalidKey(String(key), `${what} is not a string`);
  if (key.length === 0) return;
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw invalidKey(key, `${what} is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) throw invalidKey(key, `${what} contains a control character`);
  if (key.includes('\\')) throw invalidKey(key, `${what} contains a backslash`);
  if (key.startsWith('/')) throw invalidKey(key, `${what} is absolute`);
  for (const segment of key.split('/')) {
    if (segment === '') throw invalidKey(key, `${what} has an empty segment`);
    if (segment === '.' || segment === '..') throw invalidKey(key, `${what} has a "${segment}" segment`);
  }
}

function invalidKey(key: string, reason: string): StorageError {
  // JSON.stringify keeps control characters visible (and harmless) in logs.
  return new StorageError('INVALID_KEY', `invalid storage key ${JSON.stringify(key)}: ${reason}`, key);
}
