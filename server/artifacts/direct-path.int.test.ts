/**
 * The direct write path: pg_dump writes straight into zstd's stdin (Engine.backupTo + a StageProducer), so the raw
 * bytes never pass through Node. Nothing here sees them, so these tests check what the path must still guarantee:
 * a failing or cancelled pg_dump never ends the output cleanly (a driver would commit a truncated object), a failing
 * tool is blamed rather than pg_dump's resulting EPIPE, no process is left behind, and zstd's count of the raw
 * bytes is exact.
 */
import { chmod, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getEngine } from '@/server/engines/registry';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, uniqueName } from '@/server/testing/pg';
import { produceArtifact } from '@/workers/backup/produce-artifact';

import { generateIdentity, type AgeKeyPair } from './keys';
import { createReadPipeline, createWritePipeline } from './pipeline';
import { zstdInputBytes } from './write-pipeline';
import { childProcesses, drain, waitFor } from './test-support';

const SOURCE_DB = uniqueName('lb_direct_src');
let keys: AgeKeyPair;
let work: string;

function sourceConfig(database = SOURCE_DB) {
  const server = connectionParts();
  return {
    config: { host: server.host, port: server.port, database, user: server.user },
    secrets: server.password ? { password: server.password } : {},
  };
}

beforeAll(async () => {
  keys = await generateIdentity();
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-direct-'));
  // Enough rows that the dump is several pipe buffers long, so a tool that dies early really cuts it.
  await createDatabase(SOURCE_DB, `${SAMPLE_SCHEMA_SQL}\ncreate table filler as select g, md5(g::text) as h from generate_series(1, 200000) g;`);
});

afterAll(async () => {
  await dropDatabase(SOURCE_DB);
  await rm(work, { recursive: true, force: true });
});

describe('direct path (pg_dump → zstd without Node in between)', () => {
  it('stores a restorable artifact; the raw size is zstd’s exact count, no raw hash is claimed', async () => {
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'ok');
    const produced = await produceArtifact({
      engine: getEngine('postgres'),
      config,
      secrets,
      driver: createLocalDiskDriver({ root }),
      key: 'data.pgdump.zst.age',
      compressionLevel: 3,
      recipients: [keys.recipient],
    });
    expect(produced.codec).toBe('zstd+age');
    expect(produced.rawSha256).toBeUndefined();
    expect(produced.engine.bytes).toBe(produced.rawBytes);

    // Decode what was stored: its length is what zstd reported, and it is a pg_dump custom archive.
    const read = createReadPipeline(createReadStream(path.join(root, 'data.pgdump.zst.age')), {
      codec: 'zstd+age',
      identities: [keys.identity],
      expectedStoredSha256: produced.stored.sha256,
      expectedStoredBytes: produced.stored.size,
    });
    let head = Buffer.alloc(0);
    const outcome = await drain(read.stream, (chunk) => {
      if (head.length < 5) head = Buffer.concat([head, chunk.subarray(0, 5)]);
    });
    expect(outcome.ended).toBe(true);
    expect(outcome.bytes).toBe(produced.rawBytes);
    expect(head.subarray(0, 5).toString('ascii')).toBe('PGDMP');
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });

  it('a pg_dump that fails (no such database) reports its own error and stores nothing', async () => {
    const { config, secrets } = sourceConfig(uniqueName('lb_direct_missing'));
    const root = path.join(work, 'missing');
    await expect(
      produceArtifact({
        engine: getEngine('postgres'),
        config,
        secrets,
        driver: createLocalDiskDriver({ root }),
        key: 'data.pgdump.zst.age',
        compressionLevel: 3,
        recipients: [keys.recipient],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/pg_dump failed: .*does not exist/) });
    await expect(readFile(path.join(root, 'data.pgdump.zst.age'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });

  it('a compressor that dies mid-stream is blamed (not pg_dump’s EPIPE), the output errors, nothing is left running', async () => {
    // Fault injection: a "zstd" that reads a little, then fails like a crashed tool.
    const fake = path.join(work, 'broken-zstd');
    await writeFile(fake, '#!/bin/sh\nhead -c 65536 > /dev/null\necho "zstd: simulated crash" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const { config, secrets } = sourceConfig();
    const engine = getEngine('postgres');
    const pipeline = createWritePipeline(
      { start: (sink) => engine.backupTo!(config, secrets, sink, { compress: false }) },
      { compression: { level: 3 }, recipients: [keys.recipient], tools: { zstd: fake } },
    );
    const [outcome, result] = await Promise.all([drain(pipeline.stream), pipeline.done.then(() => 'resolved', (err: unknown) => err)]);
    expect(outcome.ended).toBe(false);
    expect(result).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^zstd failed \(exit code 3\): simulated crash/) });
    expect(await childProcesses(['zstd', 'age', 'pg_dump', 'broken-zstd', 'head'])).toEqual([]);
  });

  it('an encryptor that dies mid-stream is blamed (not zstd’s SIGPIPE nor pg_dump’s EPIPE) and nothing is stored', async () => {
    // Fault injection: an "age" that reads a little of zstd's output, then fails.
    const fake = path.join(work, 'broken-age');
    await writeFile(fake, '#!/bin/sh\nhead -c 65536 > /dev/null\necho "age: error: simulated crash" >&2\nexit 4\n');
    await chmod(fake, 0o755);
    const { config, secrets } = sourceConfig();
    const engine = getEngine('postgres');
    const root = path.join(work, 'age-dies');
    const pipeline = createWritePipeline(
      { start: (sink) => engine.backupTo!(config, secrets, sink, { compress: false }) },
      // Level 1: zstd's output must outrun the 64 KiB the fake reads, so zstd really writes into a dead reader.
      { compression: { level: 1 }, recipients: [keys.recipient], tools: { age: fake }, hashStored: false },
    );
    const stored = createLocalDiskDriver({ root }).put('data.pgdump.zst.age', pipeline.stream);
    const [putResult, result] = await Promise.all([stored.then(() => 'stored', (err: unknown) => err), pipeline.done.then(() => 'resolved', (err: unknown) => err)]);
    expect(result).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^age failed \(exit code 4\): simulated crash/) });
    expect(putResult).not.toBe('stored');
    await expect(readFile(path.join(root, 'data.pgdump.zst.age'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await childProcesses(['zstd', 'age', 'pg_dump', 'broken-age', 'head'])).toEqual([]);
  });

  it('zstd writes straight into age: the two share one kernel pipe, Node holds neither end', async () => {
    const input = new PassThrough();
    const pipeline = createWritePipeline(input, { compression: { level: 3 }, recipients: [keys.recipient] });
    const outcome = drain(pipeline.stream);
    const done = pipeline.done.catch((err: unknown) => err);
    input.write(Buffer.alloc(1024, 1)); // input that never ends keeps both tools running
    let zstd: number | undefined;
    let age: number | undefined;
    await waitFor(async () => {
      const children = await childProcesses(['zstd', 'age']);
      zstd = children.find((c) => c.comm === 'zstd')?.pid;
      age = children.find((c) => c.comm === 'age')?.pid;
      return zstd !== undefined && age !== undefined;
    }, 15_000);
    // zstd's stdout and age's stdin are the two ends of one socket pair (`ss -x` lists each end with its peer).
    const inode = async (pid: number | undefined, fd: number) => /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`))?.[1];
    const zstdOut = await inode(zstd, 1);
    const ageIn = await inode(age, 0);
    const peers = new Map(
      execFileSync('ss', ['-x', '-a', '-n', '-H'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols.length >= 8)
        .map((cols) => [cols[5], cols[7]] as const),
    );
    expect(zstdOut).toBeDefined();
    expect(peers.get(zstdOut!)).toBe(ageIn);
    // And this process holds neither end: otherwise age would never see EOF after zstd exits.
    const ours = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    expect(ours).not.toContain(`socket:[${zstdOut}]`);
    expect(ours).not.toContain(`socket:[${ageIn}]`);
    input.destroy(new Error('test over'));
    await outcome;
    await done;
    expect(await childProcesses(['zstd', 'age'])).toEqual([]);
  });

  it('a compressor that is not installed is TOOL_NOT_FOUND, and pg_dump does not linger', async () => {
    const { config, secrets } = sourceConfig();
    const engine = getEngine('postgres');
    const pipeline = createWritePipeline(
      { start: (sink) => engine.backupTo!(config, secrets, sink, { compress: false }) },
      { compression: { level: 3 }, recipients: [keys.recipient], tools: { zstd: path.join(work, 'no-such-zstd') } },
    );
    const [outcome, result] = await Promise.all([drain(pipeline.stream), pipeline.done.then(() => 'resolved', (err: unknown) => err)]);
    expect(outcome.ended).toBe(false);
    expect(result).toMatchObject({ code: 'TOOL_NOT_FOUND' });
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });

  it('cancelling stops pg_dump, zstd and age; done rejects CANCELLED and nothing is stored', async () => {
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'cancel');
    const controller = new AbortController();
    const running = produceArtifact({
      engine: getEngine('postgres'),
      config,
      secrets,
      driver: createLocalDiskDriver({ root }),
      key: 'data.pgdump.zst.age',
      compressionLevel: 19, // slow enough to still be running when the abort lands
      recipients: [keys.recipient],
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 150);
    await expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(readFile(path.join(root, 'data.pgdump.zst.age'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });

  it('reads zstd’s own report of the input size (1.5 and older formats), and nothing else', () => {
    expect(zstdInputBytes('Using stdin for input \n/*stdin*\\            :  0.93%   (980500000 B => 9100000 B, /*stdout*\\) \n')).toBe(980500000);
    expect(zstdInputBytes('/*stdin*\\ : 50.00%   (  1234 =>    617 bytes, /*stdout*\\)\n')).toBe(1234);
    expect(zstdInputBytes('/*stdin*\\            :  (     0 B =>     13 B, /*stdout*\\) ')).toBe(0);
    expect(zstdInputBytes('zstd: error 70 : Write error : Broken pipe')).toBeUndefined();
  });
});
