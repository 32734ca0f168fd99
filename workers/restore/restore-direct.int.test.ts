/**
 * The direct restore path (Engine.restoreFrom): a local object's file ══ age -d ══ zstd -d ══ pg_restore (a remote
 * one: stored → Node (sha256) → age -d ══ …, or its spool file read by age). Node sees neither the decoded stream nor,
 * for a file, the stored bytes on the second read, so these check what the path must still guarantee: the object is
 * verified before pg_restore sees a byte, an object that changes after the verification read is refused (even though
 * pg_restore may have restored it whole: a file written to in place, a stream that returns other bytes), a zstd frame
 * that fails its checksum fails the restore, a cancel kills every tool, and in each case the target is dropped and
 * nothing is left running.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateIdentity, type AgeKeyPair } from '@/server/artifacts/keys';
import { childProcesses } from '@/server/artifacts/test-support';
import type { AnyEngine } from '@/server/engines/engine';
import { getEngine } from '@/server/engines/registry';
import type { StorageDriver } from '@/server/storage/driver';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, uniqueName } from '@/server/testing/pg';
import { produceArtifact, type ProducedArtifact } from '@/workers/backup/produce-artifact';
import { restoreArtifact } from './restore-artifact';

const SOURCE_A = uniqueName('lb_rdir_a');
const SOURCE_B = uniqueName('lb_rdir_b');
const TOOLS = ['age', 'zstd', 'pg_restore'];
const targets: string[] = [];
const server = connectionParts();
const config = (database: string) => ({ host: server.host, port: server.port, database, user: server.user });
const secrets = server.password ? { password: server.password } : {};
let keys: AgeKeyPair;
let root: string;
let driver: StorageDriver;
let artifactA: ProducedArtifact;
let artifactB: ProducedArtifact;
let artifactB2: ProducedArtifact;

/** The postgres engine, counting the calls of its direct restore. */
function spiedEngine(): AnyEngine & { direct: number } {
  const inner = getEngine('postgres');
  const engine = { ...inner, direct: 0 };
  engine.restoreFrom = (...args) => {
    engine.direct += 1;
    return inner.restoreFrom!(...args);
  };
  return engine;
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    return ((await client.query('select 1 from pg_database where datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/**
 * `driver` as a remote store would be seen: no local file to hand to age, and no room for a spool (the temp dir given
 * does not exist), so the object is read twice through this process; `get` may be replaced to change the second read.
 */
function streamOnly(get: StorageDriver['get'] = (key, range) => driver.get(key, range)): StorageDriver {
  return { ...driver, kind: 'remote-like', openFile: undefined, get };
}
const NO_SPOOL = { spoolDir: '/nonexistent/lifeboat-no-spool' };

/** Copies `from`'s stored bytes over `into`'s file in place (same inode, as a writer to the store would). */
function overwriteInPlace(into: ProducedArtifact, from: ProducedArtifact): void {
  writeFileSync(path.join(root, into.stored.key), readFileSync(path.join(root, from.stored.key)), { flag: 'r+' });
}

function restoreInput(engine: AnyEngine, from: StorageDriver, artifact: ProducedArtifact, database: string, signal?: AbortSignal) {
  targets.push(database);
  return {
    engine,
    config: config(SOURCE_A),
    secrets,
    target: { database },
    driver: from,
    location: artifact.stored.key,
    codec: artifact.codec,
    storedBytes: artifact.stored.size,
    storedSha256: artifact.stored.sha256,
    identities: [keys.identity],
    ...(signal !== undefined && { signal }),
  };
}

beforeAll(async () => {
  keys = await generateIdentity();
  root = await mkdtemp(path.join(tmpdir(), 'lifeboat-restore-direct-'));
  driver = createLocalDiskDriver({ root });
  // Incompressible rows, so the archive is many pipe buffers long and a restore takes long enough to cancel.
  await createDatabase(SOURCE_A, `${SAMPLE_SCHEMA_SQL}\ncreate table filler as select g, md5(g::text) || md5((g * 7)::text) as h from generate_series(1, 300000) g;`);
  await createDatabase(SOURCE_B, `create table other as select g from generate_series(1, 10) g;`);
  const produce = (database: string, key: string) =>
    produceArtifact({ engine: getEngine('postgres'), config: config(database), secrets, driver, key, compressionLevel: 3, recipients: [keys.recipient] });
  artifactA = await produce(SOURCE_A, 'a/data.pgdump.zst.age');
  artifactB = await produce(SOURCE_B, 'b/data.pgdump.zst.age');
  // The same backup encrypted again: age picks a new random file key, so other bytes of exactly the same length.
  const keyFile = path.join(root, 'key.txt');
  await writeFile(keyFile, `${keys.identity}\n`, { mode: 0o600 });
  const plain = spawnSync('age', ['-d', '-i', keyFile, path.join(root, artifactB.stored.key)], { maxBuffer: 64 * 1024 * 1024 });
  expect(plain.status).toBe(0);
  const again = spawnSync('age', ['-r', keys.recipient], { input: plain.stdout, maxBuffer: 64 * 1024 * 1024 }).stdout;
  await rm(keyFile);
  artifactB2 = { ...artifactB, stored: await driver.put('b2/data.pgdump.zst.age', Readable.from([again])) };
});

afterAll(async () => {
  for (const db of targets) await dropDatabase(db);
  await dropDatabase(SOURCE_A);
  await dropDatabase(SOURCE_B);
  await rm(root, { recursive: true, force: true });
});

describe('direct restore (age -d → zstd -d → pg_restore without Node in between)', () => {
  it('restores a compressed, encrypted artifact whole through restoreFrom, age reading the stored file itself', async () => {
    const engine = spiedEngine();
    const target = uniqueName('lb_rdir_ok');
    let ageStdin: Stats | undefined;
    const watching = (async () => {
      while (ageStdin === undefined) {
        const age = (await childProcesses(['age']))[0];
        if (age !== undefined) ageStdin = await stat(`/proc/${age.pid}/fd/0`).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const result = await restoreArtifact(restoreInput(engine, driver, artifactA, target));
    expect(engine.direct).toBe(1);
    expect(result.bytes).toBe(artifactA.rawBytes);
    await Promise.race([watching, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    // age's stdin was the object's own file, not a pipe from this process.
    expect(ageStdin?.ino).toBe((await stat(path.join(root, artifactA.stored.key))).ino);
    const client = new pg.Client({ ...server, database: target });
    await client.connect();
    try {
      expect((await client.query('select count(*)::int as n from filler')).rows[0].n).toBe(300000);
    } finally {
      await client.end();
    }
    expect(await childProcesses(TOOLS)).toEqual([]);
  });

  it('an object swapped between the verification read and the decode read is refused and the target dropped', async () => {
    // The second read returns another backup's object of the same length: a valid archive for the same key, so
    // age, zstd and pg_restore all succeed; only the hash of what was read can tell, once the last byte is in.
    expect(artifactB2.stored.size).toBe(artifactB.stored.size);
    expect(artifactB2.stored.sha256).not.toBe(artifactB.stored.sha256);
    let gets = 0;
    const swapping = streamOnly((key, range) => driver.get((gets += 1) === 1 ? key : artifactB2.stored.key, range));
    const engine = spiedEngine();
    const target = uniqueName('lb_rdir_swap');
    await expect(restoreArtifact({ ...restoreInput(engine, swapping, artifactB, target), ...NO_SPOOL })).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(gets).toBe(2);
    expect(engine.direct).toBe(1);
    expect(await databaseExists(target)).toBe(false);
    expect(await childProcesses(TOOLS)).toEqual([]);
  });

  it('a stored file written to after its verification (same inode, same length, valid for the key) is refused and the target dropped', async () => {
    const victim = { ...artifactB, stored: await driver.put('b3/data.pgdump.zst.age', (await driver.get(artifactB.stored.key))) };
    const engine = spiedEngine();
    const target = uniqueName('lb_rdir_write');
    const restoring = restoreArtifact({
      ...restoreInput(engine, driver, victim, target),
      // Verified by now; age has not read a byte yet: another backup's bytes are written over the file.
      onPhase: (phase) => {
        if (phase === 'restoring') overwriteInPlace(victim, artifactB2);
      },
    });
    await expect(restoring).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', message: expect.stringMatching(/changed while it was being restored/) });
    expect(engine.direct).toBe(1);
    expect(await databaseExists(target)).toBe(false);
    expect(await childProcesses(TOOLS)).toEqual([]);
  });

  it('passes the mode on: in-place, a swapped object leaves the existing database as it was, a whole one replaces it', async () => {
    const target = uniqueName('lb_rdir_inplace');
    await createDatabase(target, 'create table keep as select g from generate_series(1, 5) g;');
    const tables = async () => {
      const client = new pg.Client({ ...server, database: target });
      await client.connect();
      try {
        const { rows } = await client.query<{ t: string; n: number }>(
          "select c.relname as t, (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from public.%I', c.relname), false, true, '')))[1]::text::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = 'public' and c.relkind = 'r' order by 1",
        );
        return rows.map((r) => `${r.t}:${r.n}`);
      } finally {
        await client.end();
      }
    };
    const victim = { ...artifactB, stored: await driver.put('b4/data.pgdump.zst.age', await driver.get(artifactB.stored.key)) };
    const engine = spiedEngine();
    const swapped = restoreArtifact({
      ...restoreInput(engine, driver, victim, target),
      mode: 'in-place',
      onPhase: (phase) => {
        if (phase === 'restoring') overwriteInPlace(victim, artifactB2);
      },
    });
    await expect(swapped).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(engine.direct).toBe(1);
    expect(await tables()).toEqual(['keep:5']);

    await restoreArtifact({ ...restoreInput(engine, driver, artifactB, target), mode: 'in-place' });
    expect(await tables()).toEqual(['other:10']);
    expect(await childProcesses([...TOOLS, 'psql'])).toEqual([]);
  });

  it('an object of another length swapped in is refused by its size and the target dropped', async () => {
    let gets = 0;
    const swapping = streamOnly((key, range) => driver.get((gets += 1) === 1 ? key : artifactB.stored.key, range));
    const target = uniqueName('lb_rdir_size');
    await expect(restoreArtifact({ ...restoreInput(spiedEngine(), swapping, artifactA, target), ...NO_SPOOL })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    expect(await databaseExists(target)).toBe(false);
    expect(await childProcesses(TOOLS)).toEqual([]);
  });

  it('a zstd frame that fails its checksum fails the restore readably and drops the target, though pg_restore got every byte', async () => {
    // A stored object that passes the stored sha256 (it is hashed as stored) but whose zstd content checksum, the
    // last 4 bytes of the frame, is wrong: zstd -d emits the whole archive, then fails.
    const dump = spawnSync('pg_dump', ['--format=custom', '--compress=0', `--dbname=postgresql://${server.user}@${server.host}:${server.port}/${SOURCE_B}`], {
      env: { PATH: process.env.PATH!, ...(server.password && { PGPASSWORD: server.password }) } as unknown as NodeJS.ProcessEnv,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(dump.status).toBe(0);
    const compressed = spawnSync('zstd', ['-3', '-c', '-q'], { input: dump.stdout, maxBuffer: 64 * 1024 * 1024 }).stdout;
    compressed[compressed.length - 1]! ^= 0xff;
    const encrypted = spawnSync('age', ['-r', keys.recipient], { input: compressed, maxBuffer: 64 * 1024 * 1024 }).stdout;
    const stored = await driver.put('corrupt/data.pgdump.zst.age', Readable.from([encrypted]));
    const corrupt: ProducedArtifact = { ...artifactB, stored };
    const target = uniqueName('lb_rdir_zstd');
    const failure = await restoreArtifact(restoreInput(spiedEngine(), driver, corrupt, target)).catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^zstd -d failed \(exit code 1\): .*checksum/i) });
    expect(await databaseExists(target)).toBe(false);
    expect(await childProcesses(TOOLS)).toEqual([]);
  });

  it('cancelling mid-restore kills age, zstd and pg_restore and drops the target', async () => {
    // A slow second read keeps every tool running until the abort lands.
    let gets = 0;
    const slow = streamOnly(async (key, range) => {
        const stream = await driver.get(key, range);
        if ((gets += 1) === 1) return stream;
        return Readable.from(
          (async function* () {
            // 64 KiB every 50 ms (~1.3 MB/s): the restore is still far from done when the abort lands.
            for await (const chunk of stream) {
              for (let at = 0; at < (chunk as Buffer).length; at += 65_536) {
                yield (chunk as Buffer).subarray(at, at + 65_536);
                await new Promise((resolve) => setTimeout(resolve, 50));
              }
            }
          })(),
        );
    });
    const controller = new AbortController();
    const target = uniqueName('lb_rdir_cancel');
    const running = restoreArtifact({ ...restoreInput(spiedEngine(), slow, artifactA, target, controller.signal), ...NO_SPOOL, onPhase: (phase) => {
      if (phase === 'restoring') setTimeout(() => controller.abort(), 1_000);
    } });
    const seen = new Set<string>();
    // zstd -d writes into pg_restore's stdin through a kernel pipe (an unlinked FIFO), not a socket pair.
    let link: { zstdOut: Stats; restoreIn: Stats } | undefined;
    const watching = (async () => {
      while (!controller.signal.aborted) {
        const children = await childProcesses(TOOLS);
        for (const child of children) seen.add(child.comm);
        const zstd = children.find((c) => c.comm === 'zstd')?.pid;
        const restore = children.find((c) => c.comm === 'pg_restore')?.pid;
        if (link === undefined && zstd !== undefined && restore !== undefined) {
          link = await Promise.all([stat(`/proc/${zstd}/fd/1`), stat(`/proc/${restore}/fd/0`)])
            .then(([zstdOut, restoreIn]) => ({ zstdOut, restoreIn }))
            .catch(() => undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    await watching;
    expect([...seen].sort()).toEqual(['age', 'pg_restore', 'zstd']);
    expect(link?.zstdOut.isFIFO()).toBe(true);
    expect(link?.restoreIn.ino).toBe(link?.zstdOut.ino);
    expect(await databaseExists(target)).toBe(false);
    expect(await childProcesses(TOOLS)).toEqual([]);
  });
});
