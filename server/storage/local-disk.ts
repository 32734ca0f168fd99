import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import {
  assertValidKey,
  assertValidPrefix,
  StorageError,
  type ByteRange,
  type ObjectHead,
  type PutOptions,
  type PutResult,
  type StorageDriver,
} from './driver';

/** In-flight uploads live next to their final name under this prefix; keys may not use it, and list() hides it. */
const TEMP_PREFIX = '.lifeboat-tmp-';

// A concurrent delete() prunes empty parent folders; retrying the mkdir+open a few times closes that race.
const CREATE_ATTEMPTS = 3;
// Producers hand over 64 KiB chunks (a child's stdout); gathering up to 1 MiB per writev() makes a sixteenth of
// the syscalls and awaits for the price of holding 1 MiB.
const WRITE_BATCH_BYTES = 1024 * 1024;
// Flushing to disk in the background every 64 MiB (fdatasync on the libuv pool while writes go on) leaves the
// fsync before the commit only the last stretch to wait for: on a 350 MB artifact it waited ~0.3 s for all of it.
const BACKGROUND_SYNC_BYTES = 64 * 1024 * 1024;
// Reads in 1 MiB chunks rather than Node's 64 KiB: a restore reads the object twice (verify, decode) and per-chunk
// overhead was most of that cost (350 MB: 0.67 → 0.30 CPU-s per pass into a child), for 1 MiB held per reader.
const READ_CHUNK_BYTES = 1024 * 1024;
// While a tool writes an object's file (putFromTool), its size is looked at this often to start the same background
// flush every BACKGROUND_SYNC_BYTES: an fstat four times a second costs nothing, and a flush starts at most 250 ms late.
const TOOL_SYNC_POLL_MS = 250;
// How long the hash of a file a tool is writing waits once it has caught up with the writer: a 1 MiB read per wait
// keeps up with ~50 MB/s (the realistic bench's age writes ~40), and a few dozen wake-ups a second cost nothing.
const FOLLOW_POLL_MS = 20;

export interface LocalDiskDriverOptions {
  /** Directory holding every object; created on first write. */
  root: string;
  /** Called at each step of a putFromTool commit (bench/backup-timeline.ts draws the timeline from it); unset: nothing. */
  trace?: (step: string) => void;
}

/**
 * A driver storing each object as a file `<root>/<key>`.
 *
 * Writes go to a temporary file in the target folder, are fsynced, then linked (or renamed, when
 * overwriting) into place and the folder is fsynced, so a crash leaves either the whole object or none.
 */
export function createLocalDiskDriver(options: LocalDiskDriverOptions): StorageDriver {
  const root = path.resolve(options.root);
  const trace = options.trace ?? (() => undefined);

  function pathOf(key: string): string {
    assertValidKey(key);
    if (key.split('/').some((segment) => segment.startsWith(TEMP_PREFIX))) {
      throw new StorageError('INVALID_KEY', `invalid storage key ${JSON.stringify(key)}: "${TEMP_PREFIX}" is reserved`, key);
    }
    const full = path.join(root, ...key.split('/'));
    // Validation already rules out escapes; this guards against a future change to it.
    if (!full.startsWith(root + path.sep)) throw new StorageError('INVALID_KEY', `storage key escapes the root: ${JSON.stringify(key)}`, key);
    return full;
  }

  async function put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const { signal, overwrite = false } = opts;
    let finalPath: string;
    try {
      finalPath = pathOf(key);
      signal?.throwIfAborted();
      // Cheap early refusal so a retried backup does not stream gigabytes before hitting the conflict; the
      // link() below is the check that actually holds under races.
      if (!overwrite && (await statOrNull(finalPath, key)) !== null) {
        throw new StorageError('CONFLICT', `object already exists: ${key}`, key);
      }
    } catch (err) {
      body.destroy();
      throw err;
    }

    const dir = path.dirname(finalPath);
    const tmpPath = path.join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    let fh: FileHandle | undefined;
    let createdDir: string | undefined;
    const onAbort = () => body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      ({ fh, createdDir } = await createTemp(dir, tmpPath, key));
      const file = fh;
      const hash = createHash('sha256');
      let size = 0;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let unsynced = 0;
      let syncing: Promise<void> | undefined;
      let syncError: unknown;
      const writeBatch = async () => {
        if (batchBytes === 0) return;
        const buffers = batch;
        unsynced += batchBytes;
        batch = [];
        batchBytes = 0;
        await io(key, 'write', () => writevAll(file, buffers));
        if (unsynced >= BACKGROUND_SYNC_BYTES && syncing === undefined) {
          unsynced = 0;
          // Not awaited: the next writes proceed meanwhile. Its failure is reported by the final sync below.
          syncing = file.datasync().then(
            () => void (syncing = undefined),
            (err: unknown) => void ((syncError ??= err), (syncing = undefined)),
          );
        }
      };
      // for-await gives back-pressure for free: the next chunk is pulled only after the previous batch is written.
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(buf);
        size += buf.length;
        batch.push(buf);
        batchBytes += buf.length;
        if (batchBytes >= WRITE_BATCH_BYTES) await writeBatch();
      }
      await writeBatch();
      await syncing;
      if (syncError !== undefined) throw ioError(key, 'fsync', syncError);
      signal?.throwIfAborted();
      await io(key, 'fsync', () => fh!.sync());
      await io(key, 'close', () => fh!.close());
      fh = undefined;
      await commit(tmpPath, finalPath, key, overwrite);
      await io(key, 'fsync directory', () => fsyncDirs(dir, createdDir));
      return { key, size, sha256: hash.digest('hex') };
    } catch (err) {
      // Tell the producer nobody is listening any more (e.g. so an engine kills its child process).
      if (!body.destroyed) body.destroy();
      await fh?.close().catch(() => undefined);
      await rm(tmpPath, { force: true }).catch(() => undefined);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The tool writes the file through its own copy of the descriptor; Node reads each byte once, from the page cache,
   * to hash it, following the file as it grows (`followHash`), so that after the tool's exit only the tail is left
   * (see `StorageDriver.putFromTool`).
   */
  async function putFromTool(key: string, attach: (fd: number) => Promise<void>, opts: PutOptions = {}): Promise<PutResult> {
    const { signal, overwrite = false } = opts;
    const finalPath = pathOf(key);
    signal?.throwIfAborted();
    // Cheap early refusal, as in put: link() below is the check that holds under races.
    if (!overwrite && (await statOrNull(finalPath, key)) !== null) {
      throw new StorageError('CONFLICT', `object already exists: ${key}`, key);
    }
    const dir = path.dirname(finalPath);
    const tmpPath = path.join(dir, TEMP_PREFIX + randomBytes(8).toString('hex'));
    let fh: FileHandle | undefined;
    let createdDir: string | undefined;
    let follower: ReturnType<typeof followHash> | undefined;
    try {
      // Read-write: the same descriptor is read back (positional reads, so the tool's shared file offset is untouched).
      ({ fh, createdDir } = await createTemp(dir, tmpPath, key, fsConstants.O_RDWR));
      const file = fh;
      const syncer = startBackgroundSync(file);
      // Hashes the file as it grows, so that once the tool exits only the last stretch is left to read (waiting for
      // all of it then was ~0.5 s of wall time for 353 MB, after the tools were done).
      const following = (follower = followHash(file));
      trace('temp file created');
      try {
        await attach(file.fd);
        trace('pipeline done');
      } finally {
        await syncer.stop();
        trace('background sync stopped');
      }
      if (syncer.error() !== undefined) throw ioError(key, 'fsync', syncer.error());
      signal?.throwIfAborted();
      // Both at once: the fsync waits on the disk while the hash reads the tail from the page cache.
      const [hashed] = await Promise.all([
        io(key, 'read back', () => following.finish()).finally(() => trace('hash done')),
        io(key, 'fsync', () => file.sync()).finally(() => trace('fsync done')),
      ]);
      const { size } = await io(key, 'stat', () => file.stat());
      // Nothing may write once attach resolved: a file that is not the size just hashed is not what was hashed.
      if (size !== hashed.size) throw new StorageError('IO', `local disk file for ${key} changed while it was read back (${hashed.size} bytes hashed, ${size} on disk)`, key);
      signal?.throwIfAborted();
      await io(key, 'close', () => file.close());
      fh = undefined;
      await commit(tmpPath, finalPath, key, overwrite);
      trace('linked');
      await io(key, 'fsync directory', () => fsyncDirs(dir, createdDir));
      trace('directory fsynced');
      return { key, size, sha256: hashed.sha256 };
    } catch (err) {
      follower?.abandon();
      await fh?.close().catch(() => undefined);
      await rm(tmpPath, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  async function createTemp(dir: string, tmpPath: string, key: string, access: number = fsConstants.O_WRONLY): Promise<{ fh: FileHandle; createdDir?: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const createdDir = await mkdir(dir, { recursive: true, mode: 0o700 });
        // Backups hold whole databases: owner-only, and O_EXCL so two writers never share a temp file.
        const fh = await open(tmpPath, access | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
        return { fh, createdDir };
      } catch (err) {
        if (errnoCode(err) === 'ENOENT' && attempt < CREATE_ATTEMPTS) continue;
        throw ioError(key, 'create', err);
      }
    }
  }

  async function commit(tmpPath: string, finalPath: string, key: string, overwrite: boolean): Promise<void> {
    if (overwrite) {
      await io(key, 'rename', () => rename(tmpPath, finalPath));
      return;
    }
    try {
      // link() fails if the target exists, which rename() would silently replace: this is the atomic "create only".
      await link(tmpPath, finalPath);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EEXIST') throw new StorageError('CONFLICT', `object already exists: ${key}`, key);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw ioError(key, 'link', err);
      // Filesystems without hard links: fall back to check-then-rename (racy, but only against our own writers).
      if ((await statOrNull(finalPath, key)) !== null) throw new StorageError('CONFLICT', `object already exists: ${key}`, key);
      await io(key, 'rename', () => rename(tmpPath, finalPath));
      return;
    }
    await unlink(tmpPath).catch(() => undefined);
  }

  /** fsyncs `dir` and, when mkdir created folders, each parent up to the first pre-existing one. */
  async function fsyncDirs(dir: string, createdDir: string | undefined): Promise<void> {
    await fsyncDir(dir);
    if (createdDir === undefined) return;
    let current = dir;
    while (current !== path.dirname(createdDir) && current.startsWith(root)) {
      current = path.dirname(current);
      await fsyncDir(current);
    }
  }

  /** The object's file, open for reading, and its size; `NOT_FOUND` if absent or not a regular file. */
  async function openObject(key: string): Promise<{ fh: FileHandle; size: number }> {
    let fh: FileHandle;
    try {
      fh = await open(pathOf(key), 'r');
    } catch (err) {
      if (isMissing(err)) throw notFound(key);
      throw ioError(key, 'open', err);
    }
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw notFound(key);
      return { fh, size: info.size };
    } catch (err) {
      await fh.close().catch(() => undefined);
      if (err instanceof StorageError) throw err;
      throw ioError(key, 'open', err);
    }
  }

  async function openFile(key: string): Promise<FileHandle> {
    return (await openObject(key)).fh;
  }

  async function get(key: string, range?: ByteRange): Promise<Readable> {
    const { fh, size } = await openObject(key);
    try {
      const { start, end } = resolveRange(key, range, size);
      // An empty object (or range) still needs a stream; createReadStream with end < start is not allowed.
      if (end < start) {
        await fh.close();
        return Readable.from([]);
      }
      return fh.createReadStream({ start, end, autoClose: true, highWaterMark: READ_CHUNK_BYTES });
    } catch (err) {
      await fh.close().catch(() => undefined);
      if (err instanceof StorageError) throw err;
      throw ioError(key, 'read', err);
    }
  }

  async function head(key: string): Promise<ObjectHead | null> {
    const info = await statOrNull(pathOf(key), key);
    return info === null ? null : { size: info.size };
  }

  async function list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const startKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const keys: string[] = [];

    async function walk(dirKey: string): Promise<void> {
      const dirPath = dirKey === '' ? root : path.join(root, ...dirKey.split('/'));
      let entries;
      try {
        entries = await readdir(dirPath, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw ioError(prefix, 'list', err);
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
        if (entry.isDirectory()) {
          // Descend only where keys under this folder can still match the prefix.
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    }

    await walk(startKey);
    // Plain code-unit order, the same order S3 returns, so paging and diffs agree across drivers.
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async function remove(key: string): Promise<void> {
    const file = pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      const code = errnoCode(err);
      // A folder is not an object, so "delete" of it is the same as deleting an absent key.
      if (isMissing(err) || code === 'EISDIR' || code === 'EPERM') return;
      throw ioError(key, 'delete', err);
    }
    // Prune folders emptied by this delete so list() and `du` stay tidy after retention sweeps.
    let dir = path.dirname(file);
    while (dir !== root && dir.startsWith(root + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or raced with a writer): stop, it is only tidying
      }
      dir = path.dirname(dir);
    }
  }

  return { kind: 'local-disk', put, putFromTool, get, openFile, head, list, delete: remove };
}

/**
 * put's background flush for a file someone else writes: every TOOL_SYNC_POLL_MS, an fdatasync once it grew by
 * BACKGROUND_SYNC_BYTES since the last one, so the final fsync only waits for the tail. `stop` waits for a flush in
 * flight; its failure is kept for the caller (the file is then not known to be on disk).
 */
function startBackgroundSync(fh: FileHandle): { stop(): Promise<void>; error(): unknown } {
  let synced = 0;
  let syncing: Promise<void> | undefined;
  let failure: unknown;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (stopped || syncing !== undefined) return;
    const size = await fh.stat().then(
      (info) => info.size,
      () => undefined,
    );
    if (stopped || size === undefined || size - synced < BACKGROUND_SYNC_BYTES) return;
    synced = size;
    syncing = fh.datasync().then(
      () => void (syncing = undefined),
      (err: unknown) => void ((failure ??= err), (syncing = undefined)),
    );
  };
  const timer = setInterval(() => void tick(), TOOL_SYNC_POLL_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await syncing;
    },
    error: () => failure,
  };
}

/**
 * sha256 and length of a file that a tool is still appending to, in READ_CHUNK_BYTES positional reads from the page
 * cache (the tool's own file offset is untouched); the next read is in flight (on libuv's pool) while this thread
 * hashes the previous chunk. A short read means the reads caught up with the writer: it waits FOLLOW_POLL_MS and
 * reads on from there. `finish()` is called once the writer has exited: the reads then go on to the end of the file
 * and the result is that of every byte in it. What is hashed is what the file holds: the tools writing it (zstd,
 * age) write their stdout front to back and never seek, and the caller checks the file's size against the bytes hashed.
 * `abandon()` stops it (the write failed; nothing will be recorded).
 */
function followHash(fh: FileHandle): { finish(): Promise<{ size: number; sha256: string }>; abandon(): void } {
  let writerDone = false;
  let abandoned = false;
  let wake: (() => void) | undefined;
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((wake = undefined), resolve()), FOLLOW_POLL_MS);
      wake = () => (clearTimeout(timer), (wake = undefined), resolve());
    });
  const run = async (): Promise<{ size: number; sha256: string }> => {
    const hash = createHash('sha256');
    let mine = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let next = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let size = 0;
    // Whether the writer had exited when the read in flight was issued: only such a read that finds nothing is the end.
    let final = writerDone;
    let reading = fh.read(mine, 0, READ_CHUNK_BYTES, 0);
    for (;;) {
      const { bytesRead } = await reading;
      if (abandoned) throw new Error('abandoned');
      if (bytesRead === 0 && final) break;
      size += bytesRead;
      [mine, next] = [next, mine];
      // Caught up with the writer: let it get ahead before the next read, rather than spinning on short reads.
      if (bytesRead < READ_CHUNK_BYTES && !writerDone) {
        hash.update(next.subarray(0, bytesRead));
        await pause();
        if (abandoned) throw new Error('abandoned');
        final = writerDone;
        reading = fh.read(mine, 0, READ_CHUNK_BYTES, size);
        continue;
      }
      final = writerDone;
      reading = fh.read(mine, 0, READ_CHUNK_BYTES, size);
      hash.update(next.subarray(0, bytesRead));
    }
    return { size, sha256: hash.digest('hex') };
  };
  const result = run();
  // Observed by finish(); after abandon() nobody waits for it.
  result.catch(() => undefined);
  return {
    finish() {
      writerDone = true;
      wake?.();
      return result;
    },
    abandon() {
      abandoned = true;
      wake?.();
    },
  };
}

function resolveRange(key: string, range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size - 1 };
  const { start, end } = range;
  const bad = (why: string) => new StorageError('INVALID_RANGE', `invalid range for ${key} (size ${size}): ${why}`, key);
  if (!Number.isSafeInteger(start) || start < 0) throw bad('start must be a non-negative integer');
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw bad('end must be an integer >= start');
  if (start >= size && !(start === 0 && size === 0)) throw bad('start is past the end of the object');
  // Like HTTP, an end past the object is clamped rather than refused.
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/** writev until every byte is written (the kernel may take fewer than offered, e.g. on a full disk's last blocks). */
async function writevAll(fh: FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) {
      bytesWritten -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the file itself is already synced.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EISDIR') throw err;
  } finally {
    await fh.close();
  }
}

async function statOrNull(file: string, key: string) {
  try {
    const info = await stat(file);
    return info.isFile() ? info : null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw ioError(key, 'stat', err);
  }
}

async function io<T>(key: string, op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw ioError(key, op, err);
  }
}

function ioError(key: string, op: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new StorageError('IO', `local disk ${op} failed for ${key}: ${detail}`, key, { cause: err });
}

function notFound(key: string): StorageError {
  return new StorageError('NOT_FOUND', `object not found: ${key}`, key);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
