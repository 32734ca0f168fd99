import { createCipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { isStorageError, StorageError } from './driver';
import { driverForDestination } from './for-destination';
import { createS3Client, createS3Driver, type S3DriverOptions } from './s3';
import { startChecksumProxy, type ChecksumProxy } from './testing/checksum-proxy';
import { isUploadPart, startFaultProxy, type FaultProxy, type RequestMatcher } from './testing/fault-proxy';
import { startS3rver, type S3rverHarness } from './testing/s3rver-harness';

const MiB = 1024 * 1024;
// S3's minimum part size: a few MiB already make a real multipart upload.
const PART_SIZE = 5 * MiB;
// The memory test: 1 GiB unless told otherwise (a slower machine may want less).
const BIG_BYTES = Number(process.env.LIFEBOAT_CONFORMANCE_BIG_BYTES ?? 1024 * MiB);
// The bound the issue sets for streaming any size: parts in flight plus the SDK, never the whole object.
const RSS_LIMIT = 300 * MiB;

let s3: S3rverHarness;
let proxy: FaultProxy;

beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startFaultProxy(s3.connection.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
});
afterEach(() => {
  proxy.reset();
});

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const newPrefix = () => `s3-test/${randomBytes(6).toString('hex')}`;

/** A driver straight to s3rver (or through the proxy with `{ endpoint: proxy.url }`). */
function makeDriver(extra: Partial<S3DriverOptions> = {}) {
  return createS3Driver({ ...s3.connection, bucket: s3.bucket, prefix: newPrefix(), partSizeBytes: PART_SIZE, ...extra });
}

/** Random bytes in 64 KiB chunks, like a pipe delivers them. */
function chunked(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += 64 * 1024) yield data.subarray(offset, offset + 64 * 1024);
    })(),
  );
}

/** A source that never ends (a dump still running), paced so a test can act while parts are in flight. */
function endlessSource(): Readable & { bytesRead: () => number } {
  const block = randomBytes(MiB);
  let read = 0;
  const stream = Readable.from(
    (async function* () {
      for (;;) {
        read += block.length;
        yield block;
        await sleep(5);
      }
    })(),
  );
  return Object.assign(stream, { bytesRead: () => read });
}

async function storedObject(client: S3Client, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function nothingDangling(): Promise<void> {
  expect(await s3.pendingUploads()).toEqual([]);
  expect(await s3.uploadFoldersOnDisk()).toEqual([]);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const isComplete: RequestMatcher = ({ method, url }) => method === 'POST' && /[?&]uploadId=/.test(url);
const partNumber =
  (n: number): RequestMatcher =>
  (req) =>
    isUploadPart(req) && new RegExp(`[?&]partNumber=${n}(&|$)`).test(req.url);

describe('s3 driver: layout', () => {
  it('keeps every object under the configured prefix and lists only real keys', async () => {
    const driver = makeDriver({ prefix: 'tenant/prod/' });
    await driver.put('sources/a/data.bin', Readable.from(['x']));
    // A "folder" marker as consoles create them: an object, but not a key any driver could read.
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'tenant/prod/folder/', Body: Buffer.alloc(0) }));
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'tenant/production', Body: Buffer.from('x') }));

    const raw = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant/' }));
    expect((raw.Contents ?? []).map((o) => o.Key)).toContain('tenant/prod/sources/a/data.bin');
    expect(await driver.list('')).toEqual(['sources/a/data.bin']);
    expect(await makeDriver({ prefix: 'tenant' }).list('prod/')).toEqual(['prod/sources/a/data.bin']);
  });

  it('refuses keys that only become too long once prefixed', async () => {
    const driver = makeDriver({ prefix: 'p'.repeat(100) });
    const source = Readable.from(['x']);
    const err = await rejection(driver.put('k'.repeat(1000), source));
    expect(isStorageError(err, 'INVALID_KEY')).toBe(true);
    expect(source.destroyed).toBe(true);
  });
});

describe('s3 driver: integrity of what was stored', () => {
  /** Hands the SDK streams instead of the Buffers lib-storage uses, as PutObject of a stream would. */
  function streamBodies(client: S3Client): S3Client {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Body?: unknown; ContentLength?: number };
        if ((context.commandName === 'UploadPartCommand' || context.commandName === 'PutObjectCommand') && Buffer.isBuffer(input.Body)) {
          input.ContentLength = input.Body.length;
          input.Body = Readable.from([input.Body]);
        }
        return next(args);
      },
      { step: 'initialize', name: 'testStreamBodies', priority: 'high' },
    );
    return client;
  }
  const sdkDefaults = { requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_SUPPORTED' } as const;

  it('shows the hazard: with SDK default checksums a streamed PutObject is stored with aws-chunked framing', async () => {
    const client = createS3Client(s3.connection, sdkDefaults);
    const data = Buffer.from('0123456789'.repeat(10));
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'hazard', Body: Readable.from([data]), ContentLength: data.length }));
    const stored = await buffer((await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'hazard' }))).Body as Readable);
    expect(stored.length).toBeGreaterThan(data.length);
    expect(stored.toString()).toMatch(/^64\r\n0123/); // hex chunk length, then the data, then a trailing CRC
    expect(stored.toString()).toMatch(/x-amz-checksum-crc32:/);
    client.destroy();
  });

  it('catches that corruption after upload, deletes the object and leaves no upload behind', async () => {
    const driver = makeDriver({ client: streamBodies(createS3Client(s3.connection, sdkDefaults)) });
    for (const [key, size] of [['multipart.bin', PART_SIZE + MiB], ['single.bin', 1000]] as const) {
      const err = await rejection(driver.put(key, chunked(randomBytes(size))));
      expect(isStorageError(err, 'IO'), String(err)).toBe(true);
      expect((err as StorageError).message).toMatch(/stored \d+ bytes .* but \d+ were sent/);
      expect(await driver.head(key)).toBeNull();
    }
    await nothingDangling();
  });

  it('round-trips the same streamed bodies with the driver settings (WHEN_REQUIRED)', async () => {
    const driver = makeDriver({ client: streamBodies(createS3Client(s3.connection)) });
    const data = randomBytes(PART_SIZE + MiB);
    expect((await driver.put('ok.bin', chunked(data))).sha256).toBe(sha256(data));
    expect(sha256(await buffer(await driver.get('ok.bin')))).toBe(sha256(data));
  });

  it('catches same-size corruption with the sha256 read-back, which a size check alone misses', async () => {
    const data = randomBytes(PART_SIZE + MiB);

    proxy.corruptNext(1, partNumber(2));
    const full = makeDriver({ endpoint: proxy.url });
    const err = await rejection(full.put('flipped.bin', chunked(data)));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/sha256/);
    expect(await full.head('flipped.bin')).toBeNull();

    proxy.corruptNext(1, partNumber(2));
    const sizeOnly = makeDriver({ endpoint: proxy.url, verify: 'size' });
    const result = await sizeOnly.put('flipped.bin', chunked(data));
    expect(result.sha256).toBe(sha256(data)); // what was sent…
    expect(sha256(await buffer(await sizeOnly.get('flipped.bin')))).not.toBe(sha256(data)); // …is not what is stored
    expect(proxy.log.filter((r) => r.outcome === 'corrupted')).toHaveLength(2);
  });
});

describe('s3 driver: streaming large objects', () => {
  /** `total` bytes of AES-CTR keystream (deterministic, fast, incompressible), generated as they are read. */
  function keystream(total: number, hash: Hash): Readable {
    const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
    const zeros = Buffer.alloc(MiB);
    let produced = 0;
    return new Readable({
      highWaterMark: MiB,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        const n = Math.min(MiB, total - produced);
        const chunk = cipher.update(zeros.subarray(0, n));
        hash.update(chunk);
        produced += n;
        this.push(chunk);
      },
    });
  }

  it(`streams ${BIG_BYTES} bytes with default part settings and bounded memory`, { timeout: 300_000 }, async () => {
    const driver = makeDriver({ partSizeBytes: undefined }); // production defaults: 16 MiB parts, 4 in flight
    const expected = createHash('sha256');
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 100);
    const started = performance.now();
    try {
      const result = await driver.put('big/data.bin', keystream(BIG_BYTES, expected));
      const seconds = (performance.now() - started) / 1000;
      peak = Math.max(peak, process.memoryUsage.rss());
      const deltaMiB = (peak - baseline) / MiB;
      console.log(
        `[s3 big upload] ${BIG_BYTES} bytes in ${seconds.toFixed(1)} s (upload + sha256 read-back), ` +
          `peak RSS +${deltaMiB.toFixed(0)} MiB over ${(baseline / MiB).toFixed(0)} MiB (s3rver runs in this process too)`,
      );
      expect(result).toEqual({ key: 'big/data.bin', size: BIG_BYTES, sha256: expected.digest('hex') });
      expect(peak - baseline).toBeLessThan(RSS_LIMIT);
    } finally {
      clearInterval(sampler);
      await driver.delete('big/data.bin');
    }
  });

  it('leaves no object and no multipart upload when aborted mid-stream', async () => {
    const driver = makeDriver({ endpoint: proxy.url });
    const source = endlessSource();
    const controller = new AbortController();
    const putting = driver.put('interrupted/data.bin', source, { signal: controller.signal });
    while (proxy.log.filter(isUploadPart).length < 2) await sleep(10);
    controller.abort(new Error('run cancelled by operator'));

    const err = await rejection(putting);
    expect(String(err)).toMatch(/cancelled by operator/);
    expect(source.destroyed).toBe(true);
    expect(await driver.head('interrupted/data.bin')).toBeNull();
    // The upload existed, and was aborted (DELETE ?uploadId), not just forgotten.
    expect(proxy.log.some((r) => r.method === 'DELETE' && /[?&]uploadId=/.test(r.url))).toBe(true);
    await nothingDangling();
  });
});

describe('s3 driver: retries and failures (fault proxy)', () => {
  it('retries 500/503 answers with backoff and completes', async () => {
    const driver = makeDriver({ endpoint: proxy.url, maxAttempts: 4 });
    const data = randomBytes(2 * PART_SIZE + MiB);
    proxy.failNext(2, 503, partNumber(2));
    proxy.failNext(1, 500, isComplete);

    const result = await driver.put('retried.bin', chunked(data));
    expect(result.sha256).toBe(sha256(data));
    expect(proxy.log.filter((r) => r.outcome === 'failed')).toHaveLength(3);
    expect(proxy.log.filter((r) => partNumber(2)(r) && r.outcome === 'forwarded')).toHaveLength(1);
    expect(sha256(await buffer(await driver.get('retried.bin')))).toBe(sha256(data));
  });

  it('retries a request stalled past the request timeout', async () => {
    const driver = makeDriver({ endpoint: proxy.url, maxAttempts: 3, requestTimeoutMs: 1000 });
    const data = randomBytes(PART_SIZE + MiB);
    proxy.stallNext(1, partNumber(1));
    const started = performance.now();

    const result = await driver.put('stalled.bin', chunked(data));
    expect(result.sha256).toBe(sha256(data));
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(proxy.log.filter((r) => r.outcome === 'stalled')).toHaveLength(1);
  });

  it('fails cleanly when a part keeps failing, and stops reading the source', { timeout: 20_000 }, async () => {
    const driver = makeDriver({ endpoint: proxy.url, maxAttempts: 3 });
    const source = endlessSource();
    proxy.failNext(1000, 500, partNumber(2));

    // The source never ends: only giving up on the failed part can settle this put.
    const err = await rejection(driver.put('doomed/data.bin', source));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/InternalError \(HTTP 500\)/);
    expect(source.destroyed).toBe(true);
    expect(proxy.log.filter(partNumber(2))).toHaveLength(3); // maxAttempts
    expect(await driver.head('doomed/data.bin')).toBeNull();
    await nothingDangling();
  });

  it('fails cleanly when a single-request put keeps failing', async () => {
    const driver = makeDriver({ endpoint: proxy.url, maxAttempts: 2 });
    proxy.failNext(1000, 503, ({ method }) => method === 'PUT');
    const err = await rejection(driver.put('small.bin', Readable.from(['tiny'])));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/SlowDown \(HTTP 503\)/);
    expect(proxy.log.filter((r) => r.method === 'PUT')).toHaveLength(2);
    expect(await storedObject(s3.client, 'small.bin')).toBe(false);
    await nothingDangling();
  });
});

describe("s3 driver: verify 'auto' (trust a store that verifies checksums, else re-read)", () => {
  let vouching: ChecksumProxy;
  let faultyLink: FaultProxy;
  beforeAll(async () => {
    vouching = await startChecksumProxy(s3.connection.endpoint);
    // driver → faultyLink → vouching store: corruption on the way in, which the store itself must catch.
    faultyLink = await startFaultProxy(vouching.url);
  });
  afterAll(async () => {
    await faultyLink?.close();
    await vouching?.close();
  });
  afterEach(() => {
    faultyLink.reset();
    vouching.lie = false;
  });
  const reads = (log: readonly string[], key: string) => log.filter((l) => l.startsWith('GET ') && l.includes(key));

  it('falls back to the full re-read on a store that does not answer with checksums (s3rver), and catches corruption', async () => {
    const data = randomBytes(PART_SIZE + MiB);
    const driver = makeDriver({ endpoint: proxy.url, verify: 'auto' });
    expect((await driver.put('plain.bin', chunked(data))).sha256).toBe(sha256(data));
    expect(proxy.log.filter((r) => r.method === 'GET' && r.url.includes('plain.bin'))).toHaveLength(1); // the re-read
    // One digest per part, used twice: as the signed payload hash and as the S3 checksum.
    const first = proxy.log.find((r) => partNumber(1)(r) && r.url.includes('plain.bin'))!;
    const firstPart = createHash('sha256').update(data.subarray(0, PART_SIZE)).digest();
    expect(first.headers['x-amz-content-sha256']).toBe(firstPart.toString('hex'));
    expect(first.headers['x-amz-checksum-sha256']).toBe(firstPart.toString('base64'));

    proxy.corruptNext(1, partNumber(2));
    const err = await rejection(driver.put('flipped.bin', chunked(data)));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/sha256/);
    expect(await driver.head('flipped.bin')).toBeNull();
    await nothingDangling();
  });

  it('skips the re-read when the store vouches for every part and the object, multipart and single PUT alike', async () => {
    const driver = makeDriver({ endpoint: vouching.url, verify: 'auto' });
    for (const [key, size] of [['multi.bin', 2 * PART_SIZE + MiB], ['single.bin', 1000]] as const) {
      const data = randomBytes(size);
      expect(await driver.put(key, chunked(data))).toEqual({ key, size, sha256: sha256(data) });
      expect(reads(vouching.log, key)).toEqual([]);
      expect(sha256(await buffer(await driver.get(key)))).toBe(sha256(data));
    }
    // The checksum went with every part: that is what the store verified.
    const parts = vouching.log.filter((l) => l.startsWith('PUT ') && l.includes('multi.bin') && l.includes('partNumber='));
    expect(parts).toHaveLength(3);
  });

  it('fails, leaving nothing, when a verifying store refuses a part corrupted on the way', async () => {
    const driver = makeDriver({ endpoint: faultyLink.url, verify: 'auto' });
    faultyLink.corruptNext(1, partNumber(2));
    const err = await rejection(driver.put('bad-digest.bin', chunked(randomBytes(PART_SIZE + MiB))));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/BadDigest/);
    expect(await driver.head('bad-digest.bin')).toBeNull();
    await nothingDangling();
  });

  it('does not take an echo on faith: a checksum other than the one sent fails the put and removes the object', async () => {
    vouching.lie = true;
    const driver = makeDriver({ endpoint: vouching.url, verify: 'auto' });
    for (const [key, size] of [['lie-multi.bin', PART_SIZE + MiB], ['lie-single.bin', 1000]] as const) {
      const err = await rejection(driver.put(key, chunked(randomBytes(size))));
      expect(isStorageError(err, 'IO'), String(err)).toBe(true);
      expect((err as StorageError).message).toMatch(/reports checksum .* not the .* that was sent/);
      expect(await driver.head(key)).toBeNull();
    }
    await nothingDangling();
  });

  it('keeps full the default: without verify the same corruption is caught by the re-read', async () => {
    const driver = driverForDestination({
      kind: 's3',
      config: { endpoint: proxy.url, region: s3.connection.region, bucket: s3.bucket, prefix: newPrefix(), forcePathStyle: true, partSizeMiB: 5, ...s3.connection.credentials },
    });
    proxy.corruptNext(1, partNumber(2));
    const err = await rejection(driver.put('default.bin', chunked(randomBytes(PART_SIZE + MiB))));
    expect((err as StorageError).message).toMatch(/sha256/);
  });
});

describe('s3 driver: configuration and secrets', () => {
  const secret = 'lifeboat-test-secret-never-logged';

  it('keeps the secret key out of errors and off the driver object', async () => {
    const driver = createS3Driver({
      ...s3.connection,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: secret },
      bucket: 'no-such-bucket',
      maxAttempts: 1,
    });
    const err = await rejection(driver.put('k', Readable.from(['x'])));
    expect(isStorageError(err, 'IO'), String(err)).toBe(true);
    expect((err as StorageError).message).toMatch(/NoSuchBucket/);
    expect(inspect(err, { depth: Infinity, showHidden: true })).not.toContain(secret);
    expect(inspect(driver, { depth: Infinity, showHidden: true })).not.toContain(secret);
    expect(JSON.stringify(driver)).not.toContain(secret);
  });

  it('builds a working driver from a destination config', async () => {
    const driver = driverForDestination({
      kind: 's3',
      config: {
        endpoint: s3.connection.endpoint,
        region: s3.connection.region,
        bucket: s3.bucket,
        prefix: newPrefix(),
        forcePathStyle: true,
        storageClass: 'STANDARD',
        serverSideEncryption: 'AES256',
        accessKeyId: s3.connection.credentials.accessKeyId,
        secretAccessKey: s3.connection.credentials.secretAccessKey,
      },
    });
    expect(driver.kind).toBe('s3');
    await driver.put('d/x', Readable.from(['hello']));
    expect((await buffer(await driver.get('d/x'))).toString()).toBe('hello');
  });

  it('refuses incomplete or contradictory destination configs', () => {
    const base = { region: 'eu-west-1', bucket: 'backups' };
    const build = (config: Record<string, unknown>) => () => driverForDestination({ kind: 's3', config: { ...base, ...config } });
    expect(build({})).not.toThrow(); // default credential chain
    expect(build({ accessKeyId: 'AKIAEXAMPLE' })).toThrow(/go together/);
    expect(build({ kmsKeyId: 'key' })).toThrow(/aws:kms/);
    expect(build({ serverSideEncryption: 'aws:kms', kmsKeyId: 'key' })).not.toThrow();
    expect(build({ storageClass: 'DEEP_ARCHIVE' })).toThrow(/verify/);
    expect(build({ storageClass: 'DEEP_ARCHIVE', verify: 'size' })).not.toThrow();
    expect(build({ endpoint: 'not a url' })).toThrow();
    expect(build({ partSizeMiB: 4 })).toThrow();
  });
});
