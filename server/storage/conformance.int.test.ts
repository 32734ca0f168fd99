import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll } from 'vitest';

import { describeStorageConformance } from './conformance';
import { createLocalDiskDriver } from './local-disk';
import { createS3Driver } from './s3';
import { startS3rver, type S3rverHarness } from './testing/s3rver-harness';

describeStorageConformance('local disk', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'lifeboat-conformance-'));
  return {
    driver: createLocalDiskDriver({ root }),
    async leftovers() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile() && e.name.startsWith('.lifeboat-tmp-')).map((e) => e.name);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let s3: S3rverHarness;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.close();
});

// S3's minimum part size, so that a few MiB already make a real multipart upload.
const PART_SIZE = 5 * 1024 * 1024;

describeStorageConformance('s3 (s3rver)', async () => {
  // One server for the file, one prefix per test: isolation without paying for a server start each time.
  const prefix = `conformance/${randomBytes(6).toString('hex')}`;
  const options = { ...s3.connection, bucket: s3.bucket, prefix, partSizeBytes: PART_SIZE, maxAttempts: 1 };
  return {
    driver: createS3Driver(options),
    pagedDriver: createS3Driver({ ...options, listPageSize: 4 }),
    partSize: PART_SIZE,
    async leftovers() {
      return (await s3.pendingUploads()).filter((key) => key.startsWith(`${prefix}/`));
    },
    async cleanup() {
      // Each test uses its own prefix; the bucket goes away with the server.
    },
  };
});
