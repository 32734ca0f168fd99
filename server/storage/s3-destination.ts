import { StorageClass } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { DestinationKind } from './destination-kind';
import { createS3Driver } from './s3';

// S3's general purpose bucket naming rules
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3–63 characters.
const BUCKET_MIN = 3;
const BUCKET_MAX = 63;
// Prefixes and suffixes S3 reserves for access points, Object Lambda, Multi-Region Access Points, directory and
// table buckets: a name with one of them is not a bucket a user could have created.
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** Why `name` is not a valid S3 bucket name, or null when it is. */
export function s3BucketNameProblem(name: string): string | null {
  if (name.length < BUCKET_MIN || name.length > BUCKET_MAX) return `bucket names are ${BUCKET_MIN} to ${BUCKET_MAX} characters long`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'bucket names hold only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'bucket names start and end with a letter or a digit';
  if (name.includes('..')) return 'bucket names may not hold two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'bucket names may not look like an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `bucket names may not start with "${prefix}" (reserved by S3)`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `bucket names may not end with "${suffix}" (reserved by S3)`;
  return null;
}

/** Why `endpoint` cannot be an S3 endpoint, or null when it can. */
function endpointProblem(endpoint: string): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'endpoint must be a URL, e.g. https://s3.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'endpoint must be an http:// or https:// URL';
  // Credentials in the URL would be stored in clear in `config` and shown in lists; they go in accessKeyId/secretAccessKey.
  if (url.username !== '' || url.password !== '') return 'endpoint may not hold credentials: use accessKeyId and secretAccessKey';
  // Checked on the string too: `http://h/?` parses with an empty search.
  if (endpoint.includes('?') || endpoint.includes('#')) return 'endpoint may not have a query or a fragment';
  return null;
}

/**
 * Why `prefix` could leave its folder, or null. Keys are `<prefix>/<key>`: a `..` segment or a leading `/` would
 * make a store that resolves paths (many S3-compatible ones on a file system) write outside it.
 */
function prefixProblem(prefix: string): string | null {
  if (prefix.startsWith('/')) return 'prefix is relative to the bucket: no leading "/"';
  if (prefix.includes('\\')) return 'prefix separates folders with "/", not "\\"';
  const segments = prefix.replace(/\/+$/, '').split('/');
  if (prefix !== '' && segments.some((s) => s === '' || s === '.' || s === '..')) return 'prefix may not have empty, "." or ".." segments';
  return null;
}

/** A zod refinement from a "why not" function, so every rule's message is its own. */
const rule = (problem: (v: string) => string | null) => (v: string, ctx: z.RefinementCtx) => {
  const message = problem(v);
  if (message) ctx.addIssue({ code: 'custom', message });
};

/**
 * Settings of an S3 (or S3-compatible) destination. Without `accessKeyId`/`secretAccessKey` the worker uses the
 * SDK default chain (environment, profile, instance/task role), which keeps long-lived keys out of the database.
 */
export const S3DestinationConfig = z
  .object({
    /** Custom endpoint for MinIO, R2, Ceph…; omitted means AWS. */
    endpoint: z.string().superRefine(rule(endpointProblem)).optional(),
    region: z.string().min(1),
    bucket: z.string().superRefine(rule(s3BucketNameProblem)),
    /** Folder inside the bucket, e.g. `lifeboat/prod`. */
    prefix: z.string().superRefine(rule(prefixProblem)).optional(),
    forcePathStyle: z.boolean().default(false),
    storageClass: z.enum(StorageClass).optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
    kmsKeyId: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /**
     * `full` re-reads every upload to compare sha256; `size` only compares sizes (archive classes); `auto` sends
     * S3 checksums and re-reads only when the store does not answer with them (see `S3DriverOptions.verify`).
     */
    verify: z.enum(['full', 'size', 'auto']).default('full'),
    /** `If-None-Match: *` on writes; off only for a store that rejects the header. */
    conditionalWrites: z.boolean().default(true),
    // 5 MiB is S3's minimum part; 5 GiB its maximum. Max object size is 10,000 parts × this.
    partSizeMiB: z.number().int().min(5).max(5 * 1024).optional(),
    /**
     * Mirror retention locks as S3 Object Lock retention (PutObjectRetention). Only for a bucket created with
     * Object Lock enabled: S3 refuses the call on any other bucket, and the lock is then reported as not applied.
     */
    objectLock: z.strictObject({ mode: z.enum(['COMPLIANCE', 'GOVERNANCE']) }).optional(),
  })
  .refine((c) => (c.accessKeyId === undefined) === (c.secretAccessKey === undefined), {
    message: 'accessKeyId and secretAccessKey go together (omit both to use the default credential chain)',
    path: ['accessKeyId'],
  })
  .refine((c) => c.kmsKeyId === undefined || c.serverSideEncryption === 'aws:kms', {
    message: 'kmsKeyId needs serverSideEncryption "aws:kms"',
    path: ['kmsKeyId'],
  })
  .refine((c) => c.verify === 'size' || (c.storageClass !== 'GLACIER' && c.storageClass !== 'DEEP_ARCHIVE'), {
    message: 'GLACIER and DEEP_ARCHIVE objects cannot be read back at once: set verify to "size"',
    path: ['verify'],
  });
export type S3DestinationConfig = z.infer<typeof S3DestinationConfig>;

export const s3Destination: DestinationKind<S3DestinationConfig> = {
  label: 'S3',
  configSchema: S3DestinationConfig,
  secretKeys: ['accessKeyId', 'secretAccessKey'],
  // The endpoint may change (a new address for the same store); the bucket and the prefix are where the keys live.
  locationKeys: ['bucket', 'prefix'],
  objectLockMode: (config) => config.objectLock?.mode ?? null,
  createDriver(cfg) {
    const { accessKeyId, secretAccessKey } = cfg;
    return createS3Driver({
      endpoint: cfg.endpoint,
      region: cfg.region,
      bucket: cfg.bucket,
      prefix: cfg.prefix,
      forcePathStyle: cfg.forcePathStyle,
      storageClass: cfg.storageClass,
      serverSideEncryption: cfg.serverSideEncryption,
      kmsKeyId: cfg.kmsKeyId,
      credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
      verify: cfg.verify,
      conditionalWrites: cfg.conditionalWrites,
      partSizeBytes: cfg.partSizeMiB === undefined ? undefined : cfg.partSizeMiB * 1024 * 1024,
    });
  },
};
