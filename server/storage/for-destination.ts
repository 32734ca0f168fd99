import path from 'node:path';
import { StorageClass } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { StorageDriver } from './driver';
import { createLocalDiskDriver } from './local-disk';
import { createS3Driver } from './s3';
import { openSecret } from '@/server/shared/secrets';

/** Settings of a local-disk destination: an absolute directory on the worker's machine. */
export const LocalDestinationConfig = z.object({
  path: z.string().min(1).refine((p) => path.isAbsolute(p), 'path must be absolute'),
});

/**
 * Settings of an S3 (or S3-compatible) destination. Without `accessKeyId`/`secretAccessKey` the worker uses the
 * SDK default chain (environment, profile, instance/task role), which keeps long-lived keys out of the database.
 */
export const S3DestinationConfig = z
  .object({
    /** Custom endpoint for MinIO, R2, Ceph…; omitted means AWS. */
    endpoint: z.url().optional(),
    region: z.string().min(1),
    // S3's bucket name rules: 3–63 characters.
    bucket: z.string().min(3).max(63),
    /** Folder inside the bucket, e.g. `lifeboat/prod`. */
    prefix: z.string().optional(),
    forcePathStyle: z.boolean().default(false),
    storageClass: z.enum(StorageClass).optional(),
    serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
    kmsKeyId: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** `full` re-reads every upload to compare sha256; `size` only compares sizes (archive classes). */
    verify: z.enum(['full', 'size']).default('full'),
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

/** The Object Lock mode of a destination row, or null when its retention locks are catalog-only. */
export function objectLockModeOf(destination: { kind: string; config: unknown }): 'COMPLIANCE' | 'GOVERNANCE' | null {
  if (destination.kind !== 's3') return null;
  const parsed = S3DestinationConfig.safeParse(destination.config);
  return parsed.success ? (parsed.data.objectLock?.mode ?? null) : null;
}

/** Settings of a destination kind that are secret: sealed into `Destination.secrets`, never stored in `config`. */
export const DESTINATION_SECRET_KEYS: Record<string, readonly string[]> = {
  local: [],
  s3: ['accessKeyId', 'secretAccessKey'],
};

/** The additional data a destination's sealed secrets are bound to, so a blob cannot move to another row. */
export const destinationSecretContext = (id: string): string => `destination:${id}`;

/**
 * Builds the storage driver for a destination row's kind and config. A row with sealed `secrets` (S3 credentials)
 * has them opened with the master key and merged into the config: only workers and the recovery-point delete
 * call this with such rows; nothing returns the opened values.
 */
export function driverForDestination(destination: { id?: string; kind: string; config: unknown; secrets?: string | null }): StorageDriver {
  if (destination.secrets) {
    if (!destination.id) throw new Error('a destination with sealed secrets needs its id to open them');
    const opened = openSecret<Record<string, unknown>>(destination.secrets, destinationSecretContext(destination.id));
    return driverForDestination({ kind: destination.kind, config: { ...(destination.config as Record<string, unknown>), ...opened } });
  }
  switch (destination.kind) {
    case 'local': {
      const cfg = LocalDestinationConfig.parse(destination.config);
      return createLocalDiskDriver({ root: cfg.path });
    }
    case 's3': {
      const cfg = S3DestinationConfig.parse(destination.config);
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
    }
    default:
      throw new Error(`unsupported destination kind: ${destination.kind}`);
  }
}
