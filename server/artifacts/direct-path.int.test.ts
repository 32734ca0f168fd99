/**
 * The direct write path: pg_dump writes straight into zstd's stdin (Engine.backupTo + a StageProducer), so the raw
 * bytes never pass through Node. Nothing here sees them, so these tests check what the path must still guarantee:
 * a failing or cancelled pg_dump never ends the output cleanly (a driver would commit a truncated object), a failing
 * tool is blamed rather than pg_dump's resulting EPIPE, no process is left behind, and zstd's count of the raw
 * bytes is exact.
 */
import { chmod, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getEngine } from '@/server/engines/registry';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, serverUrl, uniqueName } from '@/server/testing/pg';
import { produceArtifact } from '@/workers/backup/produce-artifact';

import { generateIdentity, type AgeKeyPair } from './keys';
import { createReadPipeline, createWritePipeline } from './pipeline';
import { zstdInputBytes } from './write-pipeline';
import { childProcesses, drain, sha256, waitFor } from './test-support';

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

/** Every file under `root`, temp files included (the point is to prove none is left), or [] if it was never made. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** `sha256sum FILE`, the tool an operator would check the recorded digest with. */
function sha256sum(file: string): string {
  return execFileSync('sha256sum', ['--', file], { encoding: 'utf8' }).split(' ')[0]!;
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
    // The recorded digest is that of the file (local disk hashes it by reading it back), as sha256sum sees it.
    expect(produced.stored.sha256).toBe(sha256sum(path.join(root, 'data.pgdump.zst.age')));
    expect(await filesUnder(root)).toEqual(['data.pgdump.zst.age']);
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
    expect(await filesUnder(root)).toEqual([]);
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

  it('zstd writes straight into age through a kernel pipe (not a socket), Node holds neither end', async () => {
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
    // zstd's stdout and age's stdin are the two ends of one kernel pipe, not a socket pair (a socket costs both tools
    // more system time per write and read). It is an unlinked FIFO, so /proc names its deleted path, not `pipe:[…]`.
    const end = async (pid: number | undefined, fd: number) => ({ link: await readlink(`/proc/${pid}/fd/${fd}`), stat: await stat(`/proc/${pid}/fd/${fd}`) });
    const zstdOut = await end(zstd, 1);
    const ageIn = await end(age, 0);
    expect(zstdOut.link).not.toMatch(/^socket:/);
    expect(zstdOut.stat.isFIFO()).toBe(true);
    expect(zstdOut.link).toMatch(/\(deleted\)$/);
    expect([ageIn.stat.dev, ageIn.stat.ino]).toEqual([zstdOut.stat.dev, zstdOut.stat.ino]);
    // And this process holds neither end: otherwise age would never see EOF after zstd exits, nor zstd EPIPE after age does.
    const ours = await Promise.all((await readdir('/proc/self/fd')).map((fd) => stat(`/proc/self/fd/${fd}`).catch(() => undefined)));
    expect(ours.filter((mine) => mine?.ino === zstdOut.stat.ino && mine.dev === zstdOut.stat.dev)).toEqual([]);
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
    // Age wrote straight into the driver's temp file: the cancel removed that too.
    expect(await filesUnder(root)).toEqual([]);
    expect(await childProcesses(['zstd', 'age', 'pg_dump'])).toEqual([]);
  });

  it('age writes straight into the local disk driver’s temp file (0600, beside the object), not through Node', async () => {
    // An ACCESS EXCLUSIVE lock holds pg_dump (and so zstd and age) while we look at where age's stdout goes.
    const locker = new pg.Client({ connectionString: serverUrl(SOURCE_DB) });
    await locker.connect();
    try {
      await locker.query('begin; lock table filler in access exclusive mode');
      const { config, secrets } = sourceConfig();
      const root = path.join(work, 'into-file');
      const running = produceArtifact({
        engine: getEngine('postgres'),
        config,
        secrets,
        driver: createLocalDiskDriver({ root }),
        key: 'sources/s/data.pgdump.zst.age',
        compressionLevel: 3,
        recipients: [keys.recipient],
      });
      let age: number | undefined;
      await waitFor(async () => (age = (await childProcesses(['age'])).find((c) => c.comm === 'age')?.pid) !== undefined, 15_000);
      const target = await readlink(`/proc/${age}/fd/1`);
      expect(target).toMatch(new RegExp(`^${path.join(root, 'sources', 's')}/\\.lifeboat-tmp-[0-9a-f]{16}$`));
      expect((await stat(target)).mode & 0o777).toBe(0o600);
      // Upstream of age, pg_dump → zstd → age are connected by kernel pipes (unlinked FIFOs), not socket pairs.
      const children = await childProcesses(['pg_dump', 'zstd']);
      const ends = await Promise.all(
        [
          [children.find((c) => c.comm === 'pg_dump')?.pid, 1],
          [children.find((c) => c.comm === 'zstd')?.pid, 0],
          [children.find((c) => c.comm === 'zstd')?.pid, 1],
          [age, 0],
        ].map(([pid, fd]) => stat(`/proc/${pid}/fd/${fd}`)),
      );
      expect(ends.map((end) => end.isFIFO())).toEqual([true, true, true, true]);
      expect(ends[0]!.ino).toBe(ends[1]!.ino);
      expect(ends[2]!.ino).toBe(ends[3]!.ino);
      await locker.query('commit');
      const produced = await running;
      expect(produced.stored.sha256).toBe(sha256sum(path.join(root, 'sources', 's', 'data.pgdump.zst.age')));
      expect(await filesUnder(root)).toEqual([path.join('sources', 's', 'data.pgdump.zst.age')]);
    } finally {
      await locker.end();
    }
  });

  it('unencrypted: zstd is the last stage and writes the file; the raw size is still zstd’s count', async () => {
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'zstd-only');
    const produced = await produceArtifact({
      engine: getEngine('postgres'),
      config,
      secrets,
      driver: createLocalDiskDriver({ root }),
      key: 'data.pgdump.zst',
      compressionLevel: 3,
      recipients: [],
    });
    const file = path.join(root, 'data.pgdump.zst');
    expect(produced.codec).toBe('zstd');
    expect(produced.stored.sha256).toBe(sha256sum(file));
    const raw = execFileSync('zstd', ['-d', '-c', '-q', '--', file], { maxBuffer: 256 * 1024 * 1024 });
    expect(raw.length).toBe(produced.rawBytes);
    expect(raw.subarray(0, 5).toString('ascii')).toBe('PGDMP');
    expect(sha256(await readFile(file))).toBe(produced.stored.sha256);
  });

  it('an encryptor that dies mid-stream after writing into the file: TOOL_FAILED, no object and no temp file left', async () => {
    // Fault injection: an "age" that reads a little, writes some bytes into its stdout (the driver's file), then fails.
    const fake = path.join(work, 'broken-age-writes');
    await writeFile(fake, '#!/bin/sh\nhead -c 65536 > /dev/null\nhead -c 4096 /dev/urandom\necho "age: error: simulated crash" >&2\nexit 4\n');
    await chmod(fake, 0o755);
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'age-dies-into-file');
    await expect(
      produceArtifact({
        engine: getEngine('postgres'),
        config,
        secrets,
        driver: createLocalDiskDriver({ root }),
        key: 'data.pgdump.zst.age',
        // Level 1: zstd's output must outrun the 64 KiB the fake reads, so zstd really writes into a dead reader.
        compressionLevel: 1,
        recipients: [keys.recipient],
        tools: { age: fake },
      }),
    ).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^age failed \(exit code 4\): simulated crash/) });
    expect(await filesUnder(root)).toEqual([]);
    expect(await childProcesses(['zstd', 'age', 'pg_dump', 'broken-age-writes', 'head'])).toEqual([]);
  });

  it('a compressor that dies mid-stream while writing into the file (unencrypted): no object and no temp file left', async () => {
    const fake = path.join(work, 'broken-zstd-writes');
    await writeFile(fake, '#!/bin/sh\nhead -c 65536\necho "zstd: simulated crash" >&2\nexit 3\n');
    await chmod(fake, 0o755);
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'zstd-dies-into-file');
    await expect(
      produceArtifact({
        engine: getEngine('postgres'),
        config,
        secrets,
        driver: createLocalDiskDriver({ root }),
        key: 'data.pgdump.zst',
        compressionLevel: 3,
        recipients: [],
        tools: { zstd: fake },
      }),
    ).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^zstd failed \(exit code 3\): simulated crash/) });
    expect(await filesUnder(root)).toEqual([]);
    expect(await childProcesses(['zstd', 'age', 'pg_dump', 'broken-zstd-writes', 'head'])).toEqual([]);
  });

  it('a last stage that is not installed is still TOOL_NOT_FOUND when it would write into the file', async () => {
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'no-zstd-into-file');
    await expect(
      produceArtifact({
        engine: getEngine('postgres'),
        config,
        secrets,
        driver: createLocalDiskDriver({ root }),
        key: 'data.pgdump.zst',
        compressionLevel: 3,
        recipients: [],
        tools: { zstd: path.join(work, 'no-such-zstd') },
      }),
    ).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND' });
    expect(await filesUnder(root)).toEqual([]);
    expect(await childProcesses(['zstd', 'age', 'pg_dump', 'setpriv'])).toEqual([]);
  });

  it('an existing object is replaced only by a complete new one (the worker’s retry overwrites)', async () => {
    const { config, secrets } = sourceConfig();
    const root = path.join(work, 'retry');
    const driver = createLocalDiskDriver({ root });
    const first = await produceArtifact({ engine: getEngine('postgres'), config, secrets, driver, key: 'data.pgdump.zst.age', compressionLevel: 3, recipients: [keys.recipient] });
    const fake = path.join(work, 'broken-age-retry');
    await writeFile(fake, '#!/bin/sh\nhead -c 65536 > /dev/null\nhead -c 4096 /dev/urandom\nexit 4\n');
    await chmod(fake, 0o755);
    await expect(
      produceArtifact({ engine: getEngine('postgres'), config, secrets, driver, key: 'data.pgdump.zst.age', compressionLevel: 1, recipients: [keys.recipient], tools: { age: fake } }),
    ).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    expect(sha256sum(path.join(root, 'data.pgdump.zst.age'))).toBe(first.stored.sha256);
    expect(await filesUnder(root)).toEqual(['data.pgdump.zst.age']);
  });

  it('a worker killed mid-backup (SIGKILL) takes its tools with it: age, which writes into the file, dies, and so the rest', async () => {
    // Before, age wrote into a socket to the worker, so its death broke the pipe and the EPIPE cascade stopped zstd and
    // pg_dump. Writing into a file, nothing would: the orphaned dump would run to its end beside the retry's.
    const locker = new pg.Client({ connectionString: serverUrl(SOURCE_DB) });
    await locker.connect();
    const killedKeys = await generateIdentity(); // a recipient no other test uses: finds this backup's age by its argv
    const root = path.join(work, 'worker-killed');
    const script = path.join(work, 'produce-until-killed.ts');
    await writeFile(
      script,
      [
        `import { getEngine } from '@/server/engines/registry';`,
        `import { createLocalDiskDriver } from '@/server/storage/local-disk';`,
        `import { produceArtifact } from '@/workers/backup/produce-artifact';`,
        `const { config, secrets, root, recipient } = JSON.parse(process.argv[2]!);`,
        `void produceArtifact({ engine: getEngine('postgres'), config, secrets, driver: createLocalDiskDriver({ root }), key: 'data.pgdump.zst.age', compressionLevel: 3, recipients: [recipient] });`,
      ].join('\n'),
    );
    /** Processes named `comm` (orphans too, whoever their parent is now) whose argv contains `part`. */
    const byArgv = async (comm: string, part: string) => {
      const pids: number[] = [];
      for (const entry of await readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const name = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
        const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
        if (name === comm && argv.includes(part)) pids.push(Number(entry));
      }
      return pids;
    };
    const ages = () => byArgv('age', killedKeys.recipient);
    const dumps = () => byArgv('pg_dump', SOURCE_DB);
    let worker: ReturnType<typeof spawn> | undefined;
    try {
      await locker.query('begin; lock table filler in access exclusive mode');
      const { config, secrets } = sourceConfig();
      worker = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ config, secrets, root, recipient: killedKeys.recipient })], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        stdio: 'ignore',
      });
      // 30 s: tsx compiles the imports on a busy 2-core machine.
      await waitFor(async () => (await ages()).length > 0 && (await dumps()).length > 0, 30_000);
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker!.once('exit', resolve));
      // The kernel kills age at once; zstd and pg_dump follow through their broken pipes once pg_dump gets the lock.
      await waitFor(async () => (await ages()).length === 0, 5_000);
      await locker.query('commit');
      await waitFor(async () => (await dumps()).length === 0, 10_000);
      // What the worker left is a temp file, never an object (a new attempt overwrites the key).
      expect((await filesUnder(root)).filter((file) => !path.basename(file).startsWith('.lifeboat-tmp-'))).toEqual([]);
    } finally {
      if (worker?.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      for (const pid of [...(await ages()), ...(await dumps())]) process.kill(pid, 'SIGKILL');
      await locker.end();
    }
  });

  it('reads zstd’s own report of the input size (1.5 and older formats), and nothing else', () => {
    expect(zstdInputBytes('Using stdin for input \n/*stdin*\\            :  0.93%   (980500000 B => 9100000 B, /*stdout*\\) \n')).toBe(980500000);
    expect(zstdInputBytes('/*stdin*\\ : 50.00%   (  1234 =>    617 bytes, /*stdout*\\)\n')).toBe(1234);
    expect(zstdInputBytes('/*stdin*\\            :  (     0 B =>     13 B, /*stdout*\\) ')).toBe(0);
    expect(zstdInputBytes('zstd: error 70 : Write error : Broken pipe')).toBeUndefined();
  });
});
