/**
 * restoreArtifact from a remote store downloads the object once: the verification pass spools it, the decode pass
 * reads the spool (and checks its hash again). A damaged object is still refused before the target is touched.
 */
import { readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateIdentity, type AgeKeyPair } from '@/server/artifacts/keys';
import { getEngine } from '@/server/engines/registry';
import type { StorageDriver } from '@/server/storage/driver';
import { createS3Driver } from '@/server/storage/s3';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, uniqueName } from '@/server/testing/pg';
import { produceArtifact, type ProducedArtifact } from '@/workers/backup/produce-artifact';
import { restoreArtifact } from './restore-artifact';

const SOURCE_DB = uniqueName('lb_spool_src');
const targets: string[] = [];
let keys: AgeKeyPair;
let s3: S3rverHarness;
let driver: StorageDriver;
let spoolDir: string;
let artifact: ProducedArtifact;
const server = connectionParts();
const config = { host: server.host, port: server.port, database: SOURCE_DB, user: server.user };
const secrets = server.password ? { password: server.password } : {};

/** The S3 driver, counting the GETs a restore makes. */
function counting(inner: StorageDriver): StorageDriver & { gets: number } {
  const wrapped = { ...inner, gets: 0 };
  wrapped.get = (key, range) => {
    wrapped.gets += 1;
    return inner.get(key, range);
  };
  return wrapped;
}

beforeAll(async () => {
  keys = await generateIdentity();
  s3 = await startS3rver();
  driver = createS3Driver({ ...s3.connection, bucket: s3.bucket });
  spoolDir = await mkdtemp(path.join(tmpdir(), 'lifeboat-spool-test-'));
  await createDatabase(SOURCE_DB, `${SAMPLE_SCHEMA_SQL}\ncreate table filler as select g, md5(g::text) as h from generate_series(1, 50000) g;`);
  artifact = await produceArtifact({
    engine: getEngine('postgres'),
    config,
    secrets,
    driver,
    key: 'spool/data.pgdump.zst.age',
    compressionLevel: 3,
    recipients: [keys.recipient],
  });
});

afterAll(async () => {
  for (const db of targets) await dropDatabase(db);
  await dropDatabase(SOURCE_DB);
  await s3.close();
  await rm(spoolDir, { recursive: true, force: true });
});

const restoreInput = (from: StorageDriver, database: string, storedSha256 = artifact.stored.sha256) => ({
  engine: getEngine('postgres'),
  config,
  secrets,
  target: { database },
  driver: from,
  location: artifact.stored.key,
  codec: artifact.codec,
  storedBytes: artifact.stored.size,
  storedSha256,
  identities: [keys.identity],
  spoolDir,
});

describe('restoreArtifact from S3', () => {
  it('downloads the object once, restores it whole and leaves no spool behind', async () => {
    const from = counting(driver);
    const target = uniqueName('lb_spool_dst');
    targets.push(target);
    await restoreArtifact(restoreInput(from, target));
    expect(from.gets).toBe(1);
    const client = new pg.Client({ ...server, database: target });
    await client.connect();
    try {
      expect((await client.query('select count(*)::int as n from filler')).rows[0].n).toBe(50000);
    } finally {
      await client.end();
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it('still refuses an object whose hash does not match, before creating the target, and cleans up', async () => {
    const target = uniqueName('lb_spool_bad');
    targets.push(target);
    await expect(restoreArtifact(restoreInput(driver, target, '0'.repeat(64)))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    const client = new pg.Client({ ...server, database: 'postgres' });
    await client.connect();
    try {
      expect((await client.query('select 1 from pg_database where datname = $1', [target])).rowCount).toBe(0);
    } finally {
      await client.end();
    }
    expect(await readdir(spoolDir)).toEqual([]);
  });
});
