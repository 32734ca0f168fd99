/**
 * verifyObject against both drivers: local disk is read twice (no copy), S3 (s3rver) once into a private spool file
 * that the decode pass reads and that is gone afterwards; a damaged object leaves no spool behind.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArtifactError } from '@/server/artifacts/errors';
import { isStorageError } from '@/server/storage/driver';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { createS3Driver } from '@/server/storage/s3';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { verifyObject } from './verified-read';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

let s3: S3rverHarness;
let tmp: string;
let spoolRoot: string;

beforeAll(async () => {
  s3 = await startS3rver();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-verified-read-'));
  spoolRoot = path.join(tmp, 'spool');
});
afterAll(async () => {
  await s3?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const s3Driver = () => createS3Driver({ ...s3.connection, bucket: s3.bucket, prefix: `dl-${crypto.randomBytes(4).toString('hex')}` });

describe('verifyObject', () => {
  it('spools a remote object once into a 0600 file in a 0700 folder, reads it back, and removes it', async () => {
    const driver = s3Driver();
    const data = crypto.randomBytes(3 * MiB);
    await driver.put('a/object.zst.age', Readable.from([data]));
    const verified = await verifyObject(driver, 'a/object.zst.age', { sha256: sha256(data), bytes: data.length }, spoolRoot);
    expect(verified.spooled).toBe(true);
    const [folder] = fs.readdirSync(spoolRoot);
    expect(folder).toMatch(/^lifeboat-download-/);
    expect(fs.statSync(path.join(spoolRoot, folder!)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(spoolRoot, folder!, 'object')).mode & 0o777).toBe(0o600);
    // Deleting the remote object proves the decode pass reads the spool, not the store.
    await driver.delete('a/object.zst.age');
    expect(sha256(await buffer(await verified.reopen()))).toBe(sha256(data));
    await verified.remove();
    expect(fs.readdirSync(spoolRoot)).toEqual([]);
  });

  it('refuses a remote object with another sha256 or size, leaving no spool', async () => {
    const driver = s3Driver();
    const data = crypto.randomBytes(MiB);
    await driver.put('b/object', Readable.from([data]));
    const wrongHash = await verifyObject(driver, 'b/object', { sha256: sha256(Buffer.from('other')), bytes: data.length }, spoolRoot).catch((e: unknown) => e);
    expect(isArtifactError(wrongHash, 'CHECKSUM_MISMATCH')).toBe(true);
    const wrongSize = await verifyObject(driver, 'b/object', { sha256: sha256(data), bytes: data.length - 1 }, spoolRoot).catch((e: unknown) => e);
    expect(isArtifactError(wrongSize, 'SIZE_MISMATCH')).toBe(true);
    const missing = await verifyObject(driver, 'b/nothing', { sha256: sha256(data), bytes: data.length }, spoolRoot).catch((e: unknown) => e);
    expect(isStorageError(missing, 'NOT_FOUND')).toBe(true);
    expect(fs.readdirSync(spoolRoot)).toEqual([]);
  });

  it('reads a local-disk object twice instead of copying it', async () => {
    const driver = createLocalDiskDriver({ root: path.join(tmp, 'disk') });
    const data = crypto.randomBytes(MiB);
    await driver.put('c/object', Readable.from([data]));
    const verified = await verifyObject(driver, 'c/object', { sha256: sha256(data), bytes: data.length }, spoolRoot);
    expect(verified.spooled).toBe(false);
    expect(sha256(await buffer(await verified.reopen()))).toBe(sha256(data));
    const bad = await verifyObject(driver, 'c/object', { sha256: sha256(Buffer.from('x')), bytes: data.length }, spoolRoot).catch((e: unknown) => e);
    expect(isArtifactError(bad, 'CHECKSUM_MISMATCH')).toBe(true);
  });
});
