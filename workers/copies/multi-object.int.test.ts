import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, disconnectDb } from '@/server/shared/db';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { uniqueName } from '@/server/testing/pg';
import { storeMultiObjectPoint, type FixtureObject } from '@/server/retention/testing/multi-object-point';
import { handleCopyJob } from './run-copy';

/**
 * Issue 10: a copy of a point holding several objects copies EVERY object (same keys) and the manifest, and is
 * COPY_OK only when every object's size and sha256 matched; one object no place holds intact fails the copy.
 */

const OBJECTS: FixtureObject[] = [
  { role: 'db.orders', ext: 'pgdump', raw: crypto.randomBytes(4000) },
  { role: 'db.billing', ext: 'pgdump', raw: crypto.randomBytes(3000) },
  { role: 'globals', ext: 'sql', raw: Buffer.from('CREATE ROLE app;\n') },
];

let s3: S3rverHarness;
const dirs = { primary: '', mirror: '' };
const dest = { primary: '', mirror: '', s3: '' };
const created = { sources: [] as string[] };
let sourceId: string;

beforeAll(async () => {
  s3 = await startS3rver();
  for (const key of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[key] = fs.mkdtempSync(path.join(os.tmpdir(), `lifeboat-copies-objects-${key}-`));
  const make = async (kind: string, config: object) => (await db().destination.create({ data: { name: uniqueName('dest'), kind, config } })).id;
  dest.primary = await make('local', { path: dirs.primary });
  dest.mirror = await make('local', { path: dirs.mirror });
  dest.s3 = await make('s3', { endpoint: s3.connection.endpoint, region: s3.connection.region, bucket: s3.bucket, forcePathStyle: true, prefix: 'mo', ...s3.connection.credentials });
  const source = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {} } });
  sourceId = source.id;
  created.sources.push(source.id);
});

afterAll(async () => {
  const ids = { in: created.sources };
  await db().recoveryPoint.deleteMany({ where: { sourceId: ids } });
  await db().run.deleteMany({ where: { sourceId: ids } });
  await db().source.deleteMany({ where: { id: ids } });
  await db().destination.deleteMany({ where: { id: { in: Object.values(dest) } } });
  await disconnectDb();
  await s3?.close();
  for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function s3Bytes(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `mo/${key}` }));
  const chunks: Buffer[] = [];
  for await (const chunk of out.Body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function s3Keys(prefix: string): Promise<string[]> {
  const out = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `mo/${prefix}` }));
  return (out.Contents ?? []).map((o) => (o.Key ?? '').slice('mo/'.length)).sort();
}

describe('copies: points with several objects', () => {
  it('copies all three objects and the manifest under the same keys; COPY_OK with the first object\'s size and sha256', async () => {
    const point = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies: [{ destinationId: dest.s3, status: 'COPY_PENDING', store: false }] });
    const copyId = point.copies[0]!.id;

    expect(await handleCopyJob({ copyId }, 'test')).toBe('ok');
    expect(await s3Keys(point.prefix)).toEqual([...point.objects.map((o) => o.key), point.manifest].sort());
    for (const o of point.objects) expect(sha256(await s3Bytes(o.key))).toBe(o.sha256);
    expect((await s3Bytes(point.manifest)).equals(fs.readFileSync(path.join(dirs.primary, point.manifest)))).toBe(true);

    const row = await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } });
    expect(row).toMatchObject({ status: 'COPY_OK', error: null, sha256: point.objects[0]!.sha256, sizeBytes: BigInt(point.objects[0]!.stored.length) });
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'copy.finish', targetId: copyId } });
    expect(audit.details).toMatchObject({ status: 'COPY_OK', objects: ['db.orders', 'db.billing', 'globals'] });
  });

  it('a missing second object fails the copy (not COPY_OK), naming the object', async () => {
    const point = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies: [{ destinationId: dest.s3, status: 'COPY_PENDING', store: false }] });
    fs.rmSync(path.join(dirs.primary, point.objects[1]!.key));
    const copyId = point.copies[0]!.id;

    await expect(handleCopyJob({ copyId }, 'test')).rejects.toThrow(/no readable source for object "db\.billing" \(db\.billing\.pgdump\)/);
    const row = await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } });
    expect(row.status).toBe('COPY_FAILED');
    expect(row.error).toMatch(/object "db\.billing".*is missing|object "db\.billing".*not found/i);
    // Nothing was stored for the missing object nor after it, and no manifest: the copy holds no restorable point.
    expect(await s3Keys(point.prefix)).toEqual([point.objects[0]!.key]);
  });

  it('a damaged third object (same size, one flipped byte) fails the copy before that object is stored', async () => {
    const point = await storeMultiObjectPoint({ sourceId, primary: dest.primary, objects: OBJECTS, copies: [{ destinationId: dest.s3, status: 'COPY_PENDING', store: false }] });
    const third = path.join(dirs.primary, point.objects[2]!.key);
    const bytes = fs.readFileSync(third);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.chmodSync(third, 0o600);
    fs.writeFileSync(third, bytes);
    const copyId = point.copies[0]!.id;

    await expect(handleCopyJob({ copyId }, 'test')).rejects.toThrow(/object "globals" \(globals\.sql\): the object has sha256 [0-9a-f]{64}, expected/);
    expect((await db().recoveryPointCopy.findUniqueOrThrow({ where: { id: copyId } })).status).toBe('COPY_FAILED');
    expect(await s3Keys(point.prefix)).toEqual([point.objects[0]!.key, point.objects[1]!.key].sort());
  });

  it('an object missing on the primary is read from an OK copy that holds it; the others still come from the primary', async () => {
    const point = await storeMultiObjectPoint({
      sourceId,
      primary: dest.primary,
      objects: OBJECTS,
      copies: [{ destinationId: dest.mirror }, { destinationId: dest.s3, status: 'COPY_PENDING', store: false }],
    });
    fs.rmSync(path.join(dirs.primary, point.objects[1]!.key));
    const copyId = point.copies[1]!.id;

    expect(await handleCopyJob({ copyId }, 'test')).toBe('ok');
    for (const o of point.objects) expect(sha256(await s3Bytes(o.key))).toBe(o.sha256);
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'copy.finish', targetId: copyId } });
    expect(audit.details).toMatchObject({
      status: 'COPY_OK',
      readFrom: expect.stringMatching(/^primary destination ".*"; copy on destination ".*"$/) as unknown,
      unusable: [expect.stringMatching(/^primary destination ".*", object "db\.billing" \(db\.billing\.pgdump\): /) as unknown],
    });
  });
});
