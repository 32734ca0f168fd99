import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
  UploadPartCommand,
  type PutObjectCommandInput,
  type S3ClientConfig,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import {
  assertValidKey,
  assertValidPrefix,
  StorageError,
  type ByteRange,
  type ObjectHead,
  type PutOptions,
  type PutResult,
  type RetentionMode,
  type StorageDriver,
  type StorageErrorCode,
} from './driver';

const MIB = 1024 * 1024;

// S3's own limits: parts are 5 MiB–5 GiB (except the last), at most 10,000 per object, keys at most 1024 bytes.
const MIN_PART_SIZE = 5 * MIB;
const MAX_PART_SIZE = 5 * 1024 * MIB;
const MAX_PARTS = 10_000;
const MAX_OBJECT_KEY_BYTES = 1024;

// 16 MiB × 10,000 parts ≈ 156 GiB per object (the stream's size is unknown up front, so the part size must cover
// the largest dump we expect); raise `partSizeBytes` for bigger sources. Memory is about (queueSize + 2) parts.
export const DEFAULT_PART_SIZE = 16 * MIB;
// 4 parts in flight keep a ~1 Gbit/s link busy at typical S3 latencies while holding memory near 100 MiB.
export const DEFAULT_QUEUE_SIZE = 4;
// S3 asks clients to retry 500/503 SlowDown; 5 attempts with full-jitter backoff (0.1 s base, doubling) ride out
// a few seconds of throttling or a restarting endpoint without stalling a failing backup for minutes.
export const DEFAULT_MAX_ATTEMPTS = 5;
// A TCP (+TLS) handshake to a reachable endpoint takes well under a second; 5 s fails fast on a black-holed host.
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
// Covers sending one request (a 16 MiB part needs ~135 s on a 1 Mbit/s uplink) until the response headers
// arrive, and bounds how long a server that swallowed a request can hold us before the retry. It does not limit
// streaming a response body: a slow restore may pause a download for minutes through back-pressure.
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
// The most ListObjectsV2 returns per page.
const DEFAULT_LIST_PAGE_SIZE = 1000;

/** What `put` checks after an upload; see `S3DriverOptions.verify`. */
export type S3VerifyMode = 'full' | 'size' | 'auto';

/** How to reach the S3 API. Nothing here ends up on the driver object, so logging a driver leaks no secret. */
export interface S3ConnectionOptions {
  /** Custom endpoint (MinIO, R2, Ceph, s3rver…); omitted means AWS for `region`. */
  endpoint?: string;
  region: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`; most self-hosted S3s need it. */
  forcePathStyle?: boolean;
  /** Static credentials; omitted means the SDK default chain (environment, profile, ECS/EC2 role, IRSA). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface S3DriverOptions extends S3ConnectionOptions {
  bucket: string;
  /** Folder inside the bucket holding every object of this destination, e.g. `lifeboat/prod`. */
  prefix?: string;
  storageClass?: StorageClass;
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** KMS key for `aws:kms`; omitted means the bucket's (or AWS-managed) default key. */
  kmsKeyId?: string;
  /**
   * After each upload: `full` (default) HEADs the object and re-reads it to compare sha256, which catches a
   * backend that stored different bytes than were sent (e.g. aws-chunked framing); `size` only compares sizes
   * (half the traffic, for archive storage classes that cannot be read back at once). `auto` sends every part's
   * sha256 as an S3 checksum (`x-amz-checksum-sha256`) and skips the re-read only when the store vouches for
   * each part and the whole object by answering with that same checksum (AWS S3 and stores with S3's
   * additional checksums); a store that does not answer with it (s3rver, older gateways) gets the full re-read.
   */
  verify?: S3VerifyMode;
  /**
   * Send `If-None-Match: *` so the backend itself refuses to replace an object that appeared after the HEAD
   * check. Default true; turn off only for an S3-compatible store that rejects the header.
   */
  conditionalWrites?: boolean;
  partSizeBytes?: number;
  queueSize?: number;
  /** Keys per ListObjectsV2 page (1–1000); smaller only to exercise paging in tests. */
  listPageSize?: number;
  /** A client built by `createS3Client` (e.g. shared, or with test middleware); the connection options are then ignored. */
  client?: S3Client;
  /** Called when cleaning up after a failed upload itself fails (the caller's own error is still thrown). */
  onCleanupError?: (error: StorageError) => void;
}

/**
 * The S3 client as every driver needs it. `overrides` exist for tests that must reproduce a misconfiguration.
 *
 * Checksums are `WHEN_REQUIRED`: with the SDK default (`WHEN_SUPPORTED`) a streamed body is sent with aws-chunked
 * framing and a trailing CRC, which stores that do not speak it (s3rver, some older gateways) keep verbatim as
 * the object's bytes. Our own sha256 verification covers integrity instead.
 */
export function createS3Client(options: S3ConnectionOptions, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const { credentials } = options;
  return new S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(credentials === undefined ? {} : { credentials: { ...credentials } }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // Standard mode: exponential backoff with full jitter on 5xx, throttling, timeouts and connection resets.
    retryMode: 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      // Without it a breached requestTimeout is only logged and the request hangs on.
      throwOnRequestTimeout: true,
    },
    ...overrides,
  });
}

/**
 * A driver storing each object as `<prefix>/<key>` in one bucket.
 *
 * `put` streams through lib-storage's `Upload` (multipart for anything larger than one part, a single PUT
 * otherwise); S3 makes either visible only once complete, so readers never see a partial object. On failure
 * the multipart upload is aborted so no parts linger (and bill) in the bucket.
 */
export function createS3Driver(options: S3DriverOptions): StorageDriver {
  const { bucket } = options;
  const rootPrefix = normalizeRootPrefix(options.prefix);
  const verify = options.verify ?? 'full';
  const conditionalWrites = options.conditionalWrites ?? true;
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  const listPageSize = options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new Error(`s3: partSizeBytes must be an integer between ${MIN_PART_SIZE} and ${MAX_PART_SIZE}`);
  }
  if (!Number.isSafeInteger(queueSize) || queueSize < 1) throw new Error('s3: queueSize must be a positive integer');
  if (!Number.isSafeInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
    throw new Error('s3: listPageSize must be an integer between 1 and 1000');
  }
  // `auto` falls back to the full re-read on a store that does not answer with checksums.
  if (verify !== 'size' && options.storageClass !== undefined && ARCHIVE_CLASSES.has(options.storageClass)) {
    throw new Error(`s3: storage class ${options.storageClass} cannot be read back at once; use verify: 'size'`);
  }

  const client = options.client ?? createS3Client(options);
  const secrets = [options.credentials?.secretAccessKey, options.credentials?.sessionToken].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  const fail = (err: unknown, op: string, key: string) => toStorageError(err, op, key, secrets);

  function objectKeyOf(key: string): string {
    assertValidKey(key);
    const objectKey = rootPrefix + key;
    if (Buffer.byteLength(objectKey, 'utf8') > MAX_OBJECT_KEY_BYTES) {
      throw new StorageError('INVALID_KEY', `invalid storage key ${JSON.stringify(key)}: longer than S3 allows with prefix "${rootPrefix}"`, key);
    }
    return objectKey;
  }

  async function headObject(key: string, objectKey: string, signal?: AbortSignal): Promise<ObjectHead | null> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey }), { abortSignal: signal });
      return { size: out.ContentLength ?? 0 };
    } catch (err) {
      const mapped = fail(err, 'head', key);
      if (mapped.code === 'NOT_FOUND') return null;
      throw mapped;
    }
  }

  async function deleteObject(key: string, objectKey: string): Promise<void> {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }));
    } catch (err) {
      // Some S3-compatible stores answer 404 for an absent key where AWS answers 204: both mean "gone".
      if (fail(err, 'delete', key).code === 'NOT_FOUND') return;
      throw fail(err, 'delete', key);
    }
  }

  async function put(key: string, body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    const { signal, overwrite = false } = opts;
    let objectKey: string;
    try {
      objectKey = objectKeyOf(key);
      signal?.throwIfAborted();
      // Cheap early refusal so a retried backup does not stream gigabytes before hitting the conflict;
      // If-None-Match below is what holds under races (on backends that honour it).
      if (!overwrite && (await headObject(key, objectKey, signal)) !== null) {
        throw new StorageError('CONFLICT', `object already exists: ${key}`, key);
      }
    } catch (err) {
      body.destroy();
      throw signal?.aborted ? abortReason(signal) : err;
    }

    const hash = createHash('sha256');
    let size = 0;
    let sourceError: unknown;
    async function* measured(): AsyncGenerator<Buffer> {
      const source = (body as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<Buffer | string>;
          try {
            next = await source.next();
          } catch (err) {
            // Only errors of the source itself count as the source's: lib-storage tearing the pipeline down
            // after a failed part throws an AbortError in at the `yield`, which must not mask the real cause.
            sourceError ??= err;
            throw err;
          }
          if (next.done === true) return;
          const buf = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
          hash.update(buf);
          size += buf.length;
          yield buf;
        }
      } finally {
        await source.return?.();
      }
    }

    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: objectKey,
      // Object mode, one chunk of read-ahead: lib-storage's part buffer is the buffer; more here is only memory.
      Body: Readable.from(measured(), { highWaterMark: 1 }),
      ContentType: 'application/octet-stream',
      ...(options.storageClass === undefined ? {} : { StorageClass: options.storageClass }),
      ...(options.serverSideEncryption === undefined ? {} : { ServerSideEncryption: options.serverSideEncryption }),
      ...(options.kmsKeyId === undefined ? {} : { SSEKMSKeyId: options.kmsKeyId }),
      // lib-storage passes this to PutObject and CompleteMultipartUpload, the two calls that create the object.
      ...(overwrite || !conditionalWrites ? {} : { IfNoneMatch: '*' }),
    };
    // lib-storage's own abortController is not used: its done() would reject at once, while parts are still in
    // flight and before the multipart upload is aborted. Destroying the source instead makes every part worker
    // stop at its next read, after which lib-storage aborts the upload and only then rejects. The same happens
    // when one part fails for good: the workers share one source iterator, which the failing worker closes.
    if (verify === 'auto') params.ChecksumAlgorithm = 'SHA256';
    const ledger = new ChecksumLedger(key, verify === 'auto');
    const upload = new Upload({ client: ledger.wrap(client), params, partSize, queueSize, leavePartsOnError: false });
    const onAbort = () => {
      if (!body.destroyed) body.destroy(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let created = false;
    try {
      const out = await upload.done();
      created = true;
      signal?.throwIfAborted();
      const sha256 = hash.digest('hex');
      await verifyStored(key, objectKey, size, sha256, ledger.vouched(out.ChecksumSHA256), signal);
      return { key, size, sha256 };
    } catch (err) {
      if (!body.destroyed) body.destroy();
      // Whatever ended the upload, nothing of ours may stay under the key (or as billable parts).
      if (created) await deleteObject(key, objectKey).catch((e: unknown) => options.onCleanupError?.(fail(e, 'delete after failed put', key)));
      await abortUpload(key, objectKey, upload.uploadId);
      if (signal?.aborted) throw abortReason(signal);
      // The source's own error reaches the caller unchanged (e.g. an engine's failure with its code).
      if (sourceError !== undefined) throw sourceError;
      if (size > partSize * MAX_PARTS) {
        throw new StorageError('IO', `${key} outgrew ${MAX_PARTS} parts of ${partSize} bytes: raise the destination's part size`, key, {
          cause: fail(err, 'upload', key),
        });
      }
      throw fail(err, 'upload', key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** lib-storage already aborts on failure; doing it again confirms it (NoSuchUpload) or retries a failed abort. */
  async function abortUpload(key: string, objectKey: string, uploadId: string | undefined): Promise<void> {
    if (uploadId === undefined) return;
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId }));
    } catch (err) {
      if (errorName(err) === 'NoSuchUpload' || httpStatus(err) === 404) return;
      options.onCleanupError?.(fail(err, `abort multipart upload ${uploadId}`, key));
    }
  }

  /** `vouched`: the store confirmed the checksum of every part and of the whole object (`auto` only). */
  async function verifyStored(key: string, objectKey: string, size: number, sha256: string, vouched: boolean, signal?: AbortSignal): Promise<void> {
    const stored = await headObject(key, objectKey, signal);
    if (stored === null) throw new StorageError('IO', `s3 object missing right after upload: ${key}`, key);
    if (stored.size !== size) {
      throw new StorageError('IO', `s3 stored ${stored.size} bytes for ${key} but ${size} were sent (corrupted in transit?)`, key);
    }
    if (verify === 'size' || vouched) return;
    const reread = createHash('sha256');
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }), { abortSignal: signal });
      for await (const chunk of toReadable(out.Body) as AsyncIterable<Buffer>) reread.update(chunk);
    } catch (err) {
      throw fail(err, 'verify read', key);
    }
    const storedSha = reread.digest('hex');
    if (storedSha !== sha256) {
      throw new StorageError('IO', `s3 stored bytes of ${key} do not match what was sent (sha256 ${storedSha} != ${sha256})`, key);
    }
  }

  async function get(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = objectKeyOf(key);
    if (range !== undefined) checkRangeShape(key, range);
    const Range = range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ''}`;
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey, Range }));
      const stream = toReadable(out.Body);
      if (range !== undefined) {
        const problem = rangeMismatch(range, out.ContentRange);
        if (problem === 'empty') {
          // Some servers (s3rver) answer a range on an empty object with 206 instead of 416.
          stream.destroy();
          return Readable.from([]);
        }
        if (problem !== null) {
          stream.destroy();
          throw new StorageError('IO', `s3 answered a different range for ${key}: ${problem}`, key);
        }
      }
      return stream;
    } catch (err) {
      const mapped = fail(err, 'get', key);
      // S3 refuses every range on an empty object; local disk (and HTTP's intent) give an empty read for start 0.
      if (mapped.code === 'INVALID_RANGE' && range?.start === 0 && (await headObject(key, objectKey))?.size === 0) {
        return Readable.from([]);
      }
      throw mapped;
    }
  }

  async function head(key: string): Promise<ObjectHead | null> {
    return headObject(key, objectKeyOf(key));
  }

  async function list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let out;
      try {
        out = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: rootPrefix + prefix || undefined,
            MaxKeys: listPageSize,
            ContinuationToken: token,
          }),
        );
      } catch (err) {
        throw fail(err, 'list', prefix);
      }
      for (const object of out.Contents ?? []) {
        const full = object.Key;
        if (full === undefined || !full.startsWith(rootPrefix)) continue;
        const key = full.slice(rootPrefix.length);
        // Other tools leave "folder" markers (`a/b/`) and the like; they are not objects a driver can read.
        if (isValidKey(key)) keys.push(key);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (out.IsTruncated && token === undefined) {
        throw new StorageError('IO', `s3 listing of "${prefix}" was truncated without a continuation token`, prefix);
      }
    } while (token !== undefined);
    // Plain code-unit order like local disk (S3 sorts by UTF-8 bytes, which differs for astral characters).
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async function remove(key: string): Promise<void> {
    await deleteObject(key, objectKeyOf(key));
  }

  async function setStorageClass(key: string, storageClass: string): Promise<void> {
    const objectKey = objectKeyOf(key);
    try {
      // A copy onto itself is S3's only way to change the class of an existing object; COPY keeps the metadata,
      // and the encryption settings are repeated because a self-copy otherwise falls back to the bucket default.
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: objectKey,
          CopySource: `${bucket}/${objectKey.split('/').map(encodeURIComponent).join('/')}`,
          StorageClass: storageClass as StorageClass,
          MetadataDirective: 'COPY',
          ...(options.serverSideEncryption === undefined ? {} : { ServerSideEncryption: options.serverSideEncryption }),
          ...(options.kmsKeyId === undefined ? {} : { SSEKMSKeyId: options.kmsKeyId }),
        }),
      );
    } catch (err) {
      throw fail(err, 'set storage class', key);
    }
  }

  async function setRetention(key: string, until: Date, mode: RetentionMode): Promise<void> {
    const objectKey = objectKeyOf(key);
    try {
      await client.send(
        new PutObjectRetentionCommand({ Bucket: bucket, Key: objectKey, Retention: { Mode: mode, RetainUntilDate: until } }),
      );
    } catch (err) {
      throw fail(err, 'set retention', key);
    }
  }

  return { kind: 's3', put, get, head, list, delete: remove, setStorageClass, setRetention };
}

/**
 * Hashes every request body of one `put` once, for two uses: the SigV4 payload hash (`x-amz-content-sha256`,
 * which the SDK would otherwise compute itself over http and https alike) and, in `auto` mode, the part's S3
 * checksum. It then records whether the store answered with that same checksum, i.e. verified what it received.
 *
 * It wraps the client's `send` for this upload only (lib-storage builds the part commands itself), so a shared
 * client is not changed.
 */
class ChecksumLedger {
  /** Our sha256 of each part, by part number (a single PUT is part 1). */
  private readonly sent = new Map<number, Buffer>();
  private missingEcho = false;
  private mismatch: string | undefined;

  constructor(
    private readonly key: string,
    private readonly withChecksums: boolean,
  ) {}

  wrap(client: S3Client): S3Client {
    return new Proxy(client, {
      get: (target, prop) => {
        if (prop !== 'send') return Reflect.get(target, prop) as unknown;
        return async (command: unknown, options?: unknown) => {
          const part = this.prepare(command);
          const out = await (target.send as (c: unknown, o?: unknown) => Promise<{ ChecksumSHA256?: string }>)(command, options);
          if (part !== undefined) this.record(part, out.ChecksumSHA256);
          return out;
        };
      },
    });
  }

  /** True when the re-read can be skipped: every part, and the object, came back with our checksum. */
  vouched(objectChecksum: string | undefined): boolean {
    if (this.mismatch !== undefined) throw new StorageError('IO', this.mismatch, this.key);
    if (!this.withChecksums || this.missingEcho || this.sent.size === 0 || objectChecksum === undefined) return false;
    const digests = [...this.sent.entries()].sort(([a], [b]) => a - b).map(([, d]) => d);
    // A single PUT echoes the object's own sha256; a multipart upload the COMPOSITE one, sha256 of the parts'
    // digests, which S3 writes as `<base64>-<part count>`.
    const expected = digests.length === 1 && !objectChecksum.includes('-') ? digests[0]! : createHash('sha256').update(Buffer.concat(digests)).digest();
    const [echoed] = objectChecksum.split('-');
    if (echoed !== expected.toString('base64')) {
      throw new StorageError('IO', `s3 reports checksum ${objectChecksum} for ${this.key}, not the ${expected.toString('base64')} that was sent`, this.key);
    }
    return true;
  }

  private prepare(command: unknown): number | undefined {
    if (!(command instanceof UploadPartCommand) && !(command instanceof PutObjectCommand)) return undefined;
    const input = command.input as { Body?: unknown; PartNumber?: number; ChecksumSHA256?: string };
    if (!(input.Body instanceof Uint8Array)) return undefined;
    const digest = createHash('sha256').update(input.Body).digest();
    const part = input.PartNumber ?? 1;
    this.sent.set(part, digest);
    if (this.withChecksums) input.ChecksumSHA256 = digest.toString('base64');
    const payloadHash = digest.toString('hex');
    // Build step: after serialization made the request, before the retry loop and the signer (which uses a
    // preset x-amz-content-sha256 as the payload hash), so every attempt is signed without hashing again.
    // Both commands' stacks take a build middleware; the cast only merges their types.
    (command.middlewareStack as UploadPartCommand['middlewareStack']).add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers !== undefined) request.headers['x-amz-content-sha256'] = payloadHash;
        return next(args);
      },
      { step: 'build', name: 'lifeboatPayloadSha256' },
    );
    return part;
  }

  private record(part: number, echoed: string | undefined): void {
    if (!this.withChecksums) return;
    if (echoed === undefined) {
      this.missingEcho = true;
      return;
    }
    const sent = this.sent.get(part)!.toString('base64');
    // Thrown by `vouched`, after the upload: a single PUT has created the object by now, and `put` cleans up
    // an object only once it knows it exists.
    if (echoed !== sent) this.mismatch ??= `s3 reports checksum ${echoed} for part ${part} of ${this.key}, not the ${sent} that was sent`;
  }
}

// Objects in these classes must be restored before a GET, so a read-back check cannot run.
const ARCHIVE_CLASSES = new Set<string>(['GLACIER', 'DEEP_ARCHIVE']);

function normalizeRootPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

function checkRangeShape(key: string, range: ByteRange): void {
  const { start, end } = range;
  const bad = (why: string) => new StorageError('INVALID_RANGE', `invalid range for ${key}: ${why}`, key);
  if (!Number.isSafeInteger(start) || start < 0) throw bad('start must be a non-negative integer');
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw bad('end must be an integer >= start');
}

/**
 * null when `Content-Range` is the range we asked for (with `end` clamped to the object), `empty` for a start-0
 * read of an empty object, else why not.
 */
function rangeMismatch(range: ByteRange, contentRange: string | undefined): string | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '');
  if (match === null) return `no usable Content-Range (${JSON.stringify(contentRange ?? null)})`;
  const [, first, last, total] = match as unknown as [string, string, string, string];
  const size = total === '*' ? Number.POSITIVE_INFINITY : Number(total);
  if (size === 0 && range.start === 0) return 'empty';
  const expectedLast = Math.min(range.end ?? size - 1, size - 1);
  if (Number(first) !== range.start || Number(last) !== expectedLast) return `asked ${range.start}-${range.end ?? ''}, got ${contentRange}`;
  return null;
}

function toReadable(body: unknown): Readable {
  if (body === undefined || body === null) return Readable.from([]);
  if (body instanceof Readable) return body;
  if (body instanceof ReadableStream) return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  throw new StorageError('IO', 's3 returned a body this driver cannot stream');
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string' ? err.name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const meta = err.$metadata;
  return typeof meta === 'object' && meta !== null && 'httpStatusCode' in meta && typeof meta.httpStatusCode === 'number'
    ? meta.httpStatusCode
    : undefined;
}

function codeFor(name: string | undefined, status: number | undefined): StorageErrorCode {
  if (name === 'NoSuchKey' || name === 'NotFound') return 'NOT_FOUND';
  // A missing bucket or upload is a configuration or cleanup problem, not an absent object.
  if (status === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload') return 'NOT_FOUND';
  // 412: If-None-Match lost to an existing object; 409: a concurrent conditional write to the same key.
  if (name === 'PreconditionFailed' || status === 412 || name === 'ConditionalRequestConflict') return 'CONFLICT';
  if (name === 'InvalidRange' || status === 416) return 'INVALID_RANGE';
  return 'IO';
}

/**
 * Maps an SDK (or network) error to a StorageError. The SDK exception is not kept as `cause`: its extra fields
 * echo request details (SignatureDoesNotMatch carries the string to sign), so only name, status and message
 * survive, with any configured secret scrubbed out.
 */
function toStorageError(err: unknown, op: string, key: string, secrets: readonly string[]): StorageError {
  if (err instanceof StorageError) return err;
  const name = errorName(err);
  const status = httpStatus(err);
  let detail = err instanceof Error ? err.message : String(err);
  for (const secret of secrets) detail = detail.split(secret).join('[redacted]');
  const label = `${name ?? 'Error'}${status === undefined ? '' : ` (HTTP ${status})`}`;
  const cause = new Error(`${label}: ${detail}`);
  return new StorageError(codeFor(name, status), `s3 ${op} failed for ${key}: ${label}: ${detail}`, key, { cause });
}
