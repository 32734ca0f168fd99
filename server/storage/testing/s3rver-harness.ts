import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';

import { createS3Client, type S3ConnectionOptions } from '../s3';

/**
 * An in-process s3rver on a free 127.0.0.1 port with a temporary directory, for integration tests.
 *
 * s3rver 3.7 differs from S3 in ways that would make a correct driver fail (or a wrong one pass); the harness
 * patches the few that matter, each at the smallest seam:
 *
 * 1. ListObjectsV2 continuation tokens use single DES, which OpenSSL 3 (Node >= 17) no longer ships, so any
 *    truncated listing answers 500. Single DES is mapped to 3DES with the key repeated three times, which is
 *    the same cipher (EDE with K1 = K2 = K3 reduces to one DES pass).
 * 2. Listings follow a depth-first walk of folders, which is not key order once a key is also a folder
 *    (S3 sorts `a-b` < `a.txt` < `a/1`; the walk yields `a/1` first), so pages skip keys. The store's
 *    listObjects is wrapped to sort before applying start-after and max-keys.
 * 3. AbortMultipartUpload (DELETE ?uploadId) and ListMultipartUploads (GET ?uploads) are missing from s3rver, so
 *    "nothing dangling" could not be tested. A front middleware implements both over s3rver's upload folders.
 *
 * 4. A copy of an object onto itself that only changes its storage class (`MetadataDirective: COPY` plus
 *    `x-amz-storage-class`) is how S3 moves an object between tiers; s3rver refuses it as a no-op copy. A front
 *    middleware records the new class in the object's metadata, so HeadObject reports it as S3 would.
 *
 * Not patched, and worth knowing: s3rver ignores If-None-Match on writes, and writes a single PUT (and the
 * assembly of a multipart upload) straight into the final file, so it is not atomic the way S3 is.
 */
export interface S3rverHarness {
  /** Connection options for `createS3Client`/`createS3Driver` (endpoint, region, path style, credentials). */
  connection: Required<Pick<S3ConnectionOptions, 'endpoint' | 'region' | 'forcePathStyle' | 'credentials'>>;
  bucket: string;
  /** s3rver's data folder. */
  directory: string;
  /** A client for assertions (not shared with any driver under test). */
  client: S3Client;
  /** Keys of multipart uploads still in progress, through ListMultipartUploads as a real S3 would answer. */
  pendingUploads(): Promise<string[]>;
  /** Upload folders left on disk, independently of the shim answering ListMultipartUploads. */
  uploadFoldersOnDisk(): Promise<string[]>;
  close(): Promise<void>;
}

// s3rver's fixed account (any other key pair fails signature checks).
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
// s3rver's continuation tokens embed this region and refuse any other.
const REGION = 'us-east-1';
// Where s3rver keeps in-progress multipart uploads: `<dir>/<bucket>/._S3rver_uploads/<uploadId>/{key,1,2,…}`.
const UPLOADS_FOLDER = '._S3rver_uploads';

interface KoaContext {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3ObjectLike {
  key: string;
}
interface ListResult {
  objects: S3ObjectLike[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListOptions {
  startAfter?: string;
  maxKeys?: number;
  [other: string]: unknown;
}
interface S3rverInstance {
  middleware: KoaMiddleware[];
  store: {
    listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>): Promise<void>;
  };
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

export async function startS3rver(options: { bucket?: string } = {}): Promise<S3rverHarness> {
  patchSingleDes();
  const S3rver = require('s3rver') as S3rverConstructor;
  const bucket = options.bucket ?? `lifeboat-${randomBytes(4).toString('hex')}`;
  const directory = await mkdtemp(path.join(tmpdir(), 'lifeboat-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  sortListings(server);
  server.middleware.unshift(multipartAdmin(directory), storageClassCopy(server));
  const { port } = await server.run();

  const connection = { endpoint: `http://127.0.0.1:${port}`, region: REGION, forcePathStyle: true, credentials: CREDENTIALS };
  const client = createS3Client({ ...connection, maxAttempts: 1 });
  const uploadsDir = path.join(directory, bucket, UPLOADS_FOLDER);

  return {
    connection,
    bucket,
    directory,
    client,
    async pendingUploads() {
      const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return (out.Uploads ?? []).map((u) => u.Key ?? '');
    },
    async uploadFoldersOnDisk() {
      return readdir(uploadsDir).catch(() => []);
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

let desPatched = false;

/** Patch 1 (see the interface comment). Idempotent, and a no-op where OpenSSL still has single DES. */
function patchSingleDes(): void {
  if (desPatched) return;
  desPatched = true;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch {
    // Unsupported: patch below.
  }
  const { createCipheriv, createDecipheriv } = crypto;
  const triple = (key: unknown) => Buffer.concat([key, key, key] as Buffer[]);
  const mutable = crypto as { -readonly [K in keyof typeof crypto]: (typeof crypto)[K] };
  mutable.createCipheriv = ((algorithm: string, key: Buffer, iv: Buffer) =>
    algorithm === 'des' ? createCipheriv('des-ede3-cbc', triple(key), iv) : createCipheriv(algorithm, key, iv)) as typeof createCipheriv;
  mutable.createDecipheriv = ((algorithm: string, key: Buffer, iv: Buffer) =>
    algorithm === 'des' ? createDecipheriv('des-ede3-cbc', triple(key), iv) : createDecipheriv(algorithm, key, iv)) as typeof createDecipheriv;
}

/** Patch 2: key order, as S3 guarantees and pagination depends on. */
function sortListings(server: S3rverInstance): void {
  const store = server.store;
  const original = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const { startAfter = '', maxKeys = Number.POSITIVE_INFINITY } = options;
    const all = await original(bucket, { ...options, startAfter: undefined, maxKeys: Number.POSITIVE_INFINITY });
    const after = all.objects.filter((o) => o.key > startAfter).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { ...all, objects: after.slice(0, maxKeys), isTruncated: after.length > maxKeys };
  };
}

/** Patch 3: AbortMultipartUpload and ListMultipartUploads over s3rver's upload folders (no auth check). */
function multipartAdmin(directory: string): KoaMiddleware {
  return async (ctx, next) => {
    const match = /^\/([^/]+)(?:\/(.*))?$/.exec(ctx.path);
    if (match === null) return next();
    const [, bucket, rawKey] = match as unknown as [string, string, string | undefined];
    // Path-style bucket calls arrive as `/bucket/?uploads`: an empty key is the bucket itself.
    const encodedKey = rawKey === '' ? undefined : rawKey;
    const uploadsDir = path.join(directory, bucket, UPLOADS_FOLDER);

    if (ctx.method === 'GET' && encodedKey === undefined && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const ids = await readdir(uploadsDir).catch(() => [] as string[]);
      const uploads: { key: string; id: string }[] = [];
      for (const id of ids) {
        const key = await readFile(path.join(uploadsDir, id, 'key'), 'utf8').catch(() => null);
        if (key !== null && key.startsWith(prefix)) uploads.push({ key, id });
      }
      uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        uploads.map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${xml(u.id)}</UploadId></Upload>`).join('') +
        '</ListMultipartUploadsResult>';
      return;
    }

    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && encodedKey !== undefined && typeof uploadId === 'string') {
      const folder = path.join(uploadsDir, path.basename(uploadId));
      const key = await readFile(path.join(folder, 'key'), 'utf8').catch(() => null);
      if (key === null || key !== decodeURIComponent(encodedKey)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code>' +
          '<Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      await rm(folder, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    return next();
  };
}

/** Patch 4: a self-copy that changes only the storage class (no auth check, like patch 3). */
function storageClassCopy(server: S3rverInstance): KoaMiddleware {
  return async (ctx, next) => {
    const storageClass = ctx.headers['x-amz-storage-class'];
    const source = ctx.headers['x-amz-copy-source'];
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method !== 'PUT' || typeof storageClass !== 'string' || typeof source !== 'string' || match === null) return next();
    // The SDK tags every request with `?x-id=<Operation>`; any other query parameter is a different operation.
    if (ctx.headers['x-amz-metadata-directive'] === 'REPLACE' || Object.keys(ctx.query).some((q) => q !== 'x-id')) return next();
    const [, bucket, encodedKey] = match as unknown as [string, string, string];
    const key = decodeURIComponent(encodedKey);
    if (decodeURIComponent(source.replace(/^\//, '')) !== `${bucket}/${key}`) return next();
    let metadata: Record<string, string>;
    try {
      metadata = await server.store.getMetadata(bucket, key);
    } catch {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
      return;
    }
    await server.store.putMetadata(bucket, key, { ...metadata, 'x-amz-storage-class': storageClass });
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<LastModified>${new Date().toISOString()}</LastModified><ETag>${xml(metadata.etag ?? '')}</ETag></CopyObjectResult>`;
  };
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
