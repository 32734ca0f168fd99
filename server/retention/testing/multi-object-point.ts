/**
 * Test fixture: a recovery point holding several objects (one dump per database plus the globals), stored for real
 * on its primary destination and on copies, with the point row and its RecoveryPointObject rows created in one
 * transaction, as the backup worker records them. Used by the retention, copy and verify tests.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { storedExtension } from '@/server/artifacts';
import { db } from '@/server/shared/db';
import type { CopyStatus } from '@/server/shared/generated/prisma/client';
import { driverForDestination } from '@/server/storage/for-destination';
import { runArtifactKeys, runObjectKey } from '@/server/storage/layout';
import { connectionParts } from '@/server/testing/pg';

export interface FixtureObject {
  role: string;
  /** Raw extension, e.g. `pgdump` or `sql`. */
  ext: string;
  /** The raw bytes; stored encoded with the point's codec. */
  raw: Buffer;
}

export interface FixtureCopy {
  destinationId: string;
  status?: CopyStatus;
  /** Default true: the copy's objects are written to its destination too. */
  store?: boolean;
}

export interface StoredFixtureObject {
  role: string;
  key: string;
  stored: Buffer;
  sha256: string;
}

export interface StoredFixturePoint {
  id: string;
  runId: string;
  prefix: string;
  objects: StoredFixtureObject[];
  manifest: string;
  copies: Array<{ id: string; destinationId: string }>;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** `raw` through the codec's tools, as a backup stores it (zstd, then age to `recipient`). */
export function encode(raw: Buffer, codec: string, recipient?: string): Buffer {
  let bytes = raw;
  if (codec === 'zstd' || codec === 'zstd+age') bytes = execFileSync('zstd', ['-q', '-c', '-3'], { input: bytes, maxBuffer: 1 << 30 });
  if (codec === 'age' || codec === 'zstd+age') {
    if (!recipient) throw new Error('encode: an age codec needs a recipient');
    bytes = execFileSync('age', ['-r', recipient], { input: bytes, maxBuffer: 1 << 30 });
  }
  return bytes;
}

/** `pg_dump --format=custom` of `database` on the test server: a real archive `pg_restore --list` accepts. */
export function pgDump(database: string): Buffer {
  const c = connectionParts();
  return execFileSync('pg_dump', ['--format=custom', '--compress=0', '-h', c.host, '-p', String(c.port), '-U', c.user, '--', database], {
    // Only what pg_dump needs: the test's own environment holds the master key and the catalog's URL.
    env: { NODE_ENV: process.env.NODE_ENV, PATH: process.env.PATH ?? '/usr/bin:/bin', ...(c.password ? { PGPASSWORD: c.password } : {}) },
    maxBuffer: 1 << 30,
  });
}

/**
 * Stores every object (encoded with `codec`) and a manifest listing them under the run's folder on the primary and on
 * each copy with `store` not false, then records the run, the point (its columns describing the first object), its
 * object rows and its copy rows in one transaction.
 */
export async function storeMultiObjectPoint(input: {
  sourceId: string;
  primary: string;
  objects: FixtureObject[];
  copies?: FixtureCopy[];
  codec?: string;
  keyId?: string | null;
  recipient?: string;
  engine?: string;
  createdAt?: Date;
  /** Default true: the primary's objects are written too. */
  storeOnPrimary?: boolean;
}): Promise<StoredFixturePoint> {
  const createdAt = input.createdAt ?? new Date();
  const codec = input.codec ?? 'none';
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: input.sourceId, destinationId: input.primary, startedAt: createdAt, finishedAt: createdAt, createdAt },
  });
  const keys = runArtifactKeys({ sourceId: input.sourceId, runId: run.id, startedAt: createdAt }, 'pgdump');
  const objects = input.objects.map((o) => {
    const stored = encode(o.raw, codec, input.recipient);
    return { ...o, key: runObjectKey(keys, o.role, storedExtension(o.ext, codec)), stored, sha256: sha256(stored) };
  });
  const manifest = JSON.stringify({
    manifestVersion: 3,
    kind: 'lifeboat.recovery-point',
    codec,
    objects: objects.map((o) => ({ role: o.role, key: o.key, size: o.stored.length, sha256: o.sha256, codec })),
  });
  const copies = input.copies ?? [];
  const holders = [...(input.storeOnPrimary === false ? [] : [input.primary]), ...copies.filter((c) => c.store !== false).map((c) => c.destinationId)];
  for (const destinationId of holders) {
    const driver = driverForDestination(await db().destination.findUniqueOrThrow({ where: { id: destinationId } }));
    for (const o of objects) await driver.put(o.key, Readable.from([o.stored]), { overwrite: true });
    await driver.put(keys.manifest, Readable.from([Buffer.from(manifest)]), { overwrite: true });
  }
  const first = objects[0]!;
  const point = await db().recoveryPoint.create({
    data: {
      sourceId: input.sourceId,
      runId: run.id,
      destinationId: input.primary,
      engine: input.engine ?? 'postgres',
      location: first.key,
      sizeBytes: first.stored.length,
      sha256: first.sha256,
      codec,
      rawBytes: BigInt(first.raw.length),
      rawSha256: null,
      keyId: input.keyId ?? null,
      manifest: JSON.parse(manifest) as object,
      createdAt,
      objects: {
        create: objects.map((o, position) => ({
          role: o.role,
          position,
          key: o.key,
          sizeBytes: o.stored.length,
          sha256: o.sha256,
          codec,
          rawBytes: BigInt(o.raw.length),
          rawSha256: null,
        })),
      },
      copies: {
        create: copies.map((c, position) => ({ destinationId: c.destinationId, location: first.key, position, status: c.status ?? 'COPY_OK' })),
      },
    },
    include: { copies: { orderBy: { position: 'asc' } } },
  });
  return {
    id: point.id,
    runId: run.id,
    prefix: keys.prefix,
    objects: objects.map((o) => ({ role: o.role, key: o.key, stored: o.stored, sha256: o.sha256 })),
    manifest: keys.manifest,
    copies: point.copies.map((c) => ({ id: c.id, destinationId: c.destinationId })),
  };
}
