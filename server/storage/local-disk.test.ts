import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { spawnProcess } from '@/server/process';

import { isStorageError, StorageError, type StorageDriver } from './driver';
import { manifestKeyForDataKey, runArtifactKeys } from './layout';
import { createLocalDiskDriver } from './local-disk';

const execFileAsync = promisify(execFile);

let root: string;
let driver: StorageDriver;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lifeboat-local-disk-'));
  driver = createLocalDiskDriver({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

/** Every file under root, temp files included: the point is to prove nothing is left behind. */
async function allFiles(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

async function expectStorageError(promise: Promise<unknown>, code: StorageError['code']): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(err, code), `expected StorageError ${code}, got ${String(err)}`).toBe(true);
}

describe('local disk driver', () => {
  it('round-trips put/get/head/list/delete with correct size and sha256', async () => {
    // Several chunks, bigger than one stream buffer, to exercise the streaming path.
    const chunks = Array.from({ length: 20 }, () => randomBytes(100_000));
    const data = Buffer.concat(chunks);

    const result = await driver.put('a/b/c.bin', Readable.from(chunks));
    expect(result).toEqual({ key: 'a/b/c.bin', size: data.length, sha256: sha256(data) });

    expect(await driver.head('a/b/c.bin')).toEqual({ size: data.length });
    expect(Buffer.compare(await buffer(await driver.get('a/b/c.bin')), data)).toBe(0);

    await driver.put('a/d.txt', Readable.from([Buffer.from('hello')]));
    await driver.put('ab.txt', Readable.from(['x']));
    expect(await driver.list('')).toEqual(['a/b/c.bin', 'a/d.txt', 'ab.txt']);
    expect(await driver.list('a/')).toEqual(['a/b/c.bin', 'a/d.txt']);
    expect(await driver.list('a')).toEqual(['a/b/c.bin', 'a/d.txt', 'ab.txt']);
    expect(await driver.list('a/b')).toEqual(['a/b/c.bin']);
    expect(await driver.list('nope/')).toEqual([]);

    await driver.delete('a/b/c.bin');
    expect(await driver.head('a/b/c.bin')).toBeNull();
    await expectStorageError(driver.get('a/b/c.bin'), 'NOT_FOUND');
    // Deleting again is fine (retention sweeps retry), and the emptied folder is pruned.
    await driver.delete('a/b/c.bin');
    await expect(stat(path.join(root, 'a', 'b'))).rejects.toThrow();
    expect(await driver.list('')).toEqual(['a/d.txt', 'ab.txt']);
  });

  it('stores a large object byte for byte across write batches and background syncs', async () => {
    // ~70 MiB in uneven chunks: crosses many 1 MiB write batches and one 64 MiB background fdatasync.
    const chunks = Array.from({ length: 1100 }, (_, i) => randomBytes(65_536 + ((i * 7919) % 3000)));
    const data = Buffer.concat(chunks);
    const result = await driver.put('big/object.bin', Readable.from(chunks));
    expect(result).toEqual({ key: 'big/object.bin', size: data.length, sha256: sha256(data) });
    expect(sha256(await buffer(await driver.get('big/object.bin')))).toBe(sha256(data));
    expect(await allFiles()).toEqual([path.join('big', 'object.bin')]);
  });

  it('stores objects owner-only', async () => {
    await driver.put('secret/dump', Readable.from(['x']));
    const info = await stat(path.join(root, 'secret', 'dump'));
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('handles empty objects and byte ranges', async () => {
    const empty = await driver.put('empty', Readable.from([]));
    expect(empty).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await buffer(await driver.get('empty'))).length).toBe(0);

    await driver.put('digits', Readable.from(['0123456789']));
    expect((await buffer(await driver.get('digits', { start: 2, end: 4 }))).toString()).toBe('234');
    expect((await buffer(await driver.get('digits', { start: 7 }))).toString()).toBe('789');
    expect((await buffer(await driver.get('digits', { start: 8, end: 999 }))).toString()).toBe('89');
    await expectStorageError(driver.get('digits', { start: 10 }), 'INVALID_RANGE');
    await expectStorageError(driver.get('digits', { start: 5, end: 4 }), 'INVALID_RANGE');
    await expectStorageError(driver.get('digits', { start: -1 }), 'INVALID_RANGE');
  });

  it('refuses to overwrite unless asked, and then replaces atomically', async () => {
    await driver.put('k', Readable.from(['first']));
    await expectStorageError(driver.put('k', Readable.from(['second'])), 'CONFLICT');
    expect((await buffer(await driver.get('k'))).toString()).toBe('first');

    const replaced = await driver.put('k', Readable.from(['second']), { overwrite: true });
    expect(replaced.size).toBe(6);
    expect((await buffer(await driver.get('k'))).toString()).toBe('second');
    expect(await allFiles()).toEqual(['k']);
  });

  it('lets exactly one of two concurrent creates win', async () => {
    const slow = (text: string) => {
      const pass = new PassThrough();
      setTimeout(() => pass.end(text), 20);
      return pass;
    };
    const results = await Promise.allSettled([driver.put('race', slow('one')), driver.put('race', slow('two'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(isStorageError(failed?.reason, 'CONFLICT')).toBe(true);
    expect(await allFiles()).toEqual(['race']);
  });

  it('leaves nothing behind when the source stream fails mid-way, and rethrows its error', async () => {
    const source = new PassThrough();
    const putting = driver.put('broken/data.bin', source);
    source.write(randomBytes(50_000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const boom = new Error('engine died');
    source.destroy(boom);

    await expect(putting).rejects.toBe(boom);
    expect(await driver.head('broken/data.bin')).toBeNull();
    expect(await allFiles()).toEqual([]);
  });

  it('leaves nothing behind when aborted, and destroys the source', async () => {
    const source = new PassThrough();
    const controller = new AbortController();
    const putting = driver.put('aborted/data.bin', source, { signal: controller.signal });
    source.write(randomBytes(50_000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();

    await expect(putting).rejects.toThrow(/abort/i);
    expect(source.destroyed).toBe(true);
    expect(await allFiles()).toEqual([]);
  });

  it('rejects bad keys without touching the disk', async () => {
    const bad = [
      '',
      '/etc/passwd',
      '../escape',
      'a/../../escape',
      'a/./b',
      'a//b',
      'a/b/',
      'nul\u0000byte',
      'new\nline',
      'back\\slash',
      '.lifeboat-tmp-deadbeef',
      'x'.repeat(1025),
    ];
    for (const key of bad) {
      const source = Readable.from(['x']);
      await expectStorageError(driver.put(key, source), 'INVALID_KEY');
      expect(source.destroyed, `source destroyed for ${JSON.stringify(key)}`).toBe(true);
      await expectStorageError(driver.get(key), 'INVALID_KEY');
      await expectStorageError(driver.head(key), 'INVALID_KEY');
      await expectStorageError(driver.delete(key), 'INVALID_KEY');
    }
    await expectStorageError(driver.list('../'), 'INVALID_KEY');
    await expectStorageError(driver.list('/abs'), 'INVALID_KEY');
    expect(await allFiles()).toEqual([]);
  });

  it('hides in-flight uploads from list()', async () => {
    const source = new PassThrough();
    const putting = driver.put('pending/data.bin', source);
    source.write('partial');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await allFiles()).length).toBe(1); // the temp file exists…
    expect(await driver.list('')).toEqual([]); // …but is not an object
    expect(await driver.head('pending/data.bin')).toBeNull();
    source.end('rest');
    await putting;
    expect(await driver.list('')).toEqual(['pending/data.bin']);
  });
});

/**
 * A tool that writes `bytes` into the lent descriptor itself (through the one process helper, as the pipeline does),
 * then exits with `code`; resolves on exit 0 like the pipeline's verdict, rejects otherwise.
 */
function toolWriting(bytes: number, code = 0): { attach: (fd: number) => Promise<void>; fds: number[] } {
  const fds: number[] = [];
  return {
    fds,
    attach: async (fd) => {
      fds.push(fd);
      // Random bytes: the sha256 checked must be that of what the tool wrote, which nothing here has seen.
      const proc = spawnProcess({ command: 'sh', args: ['-c', `head -c ${bytes} /dev/urandom; exit ${code}`], stdout: fd });
      const exit = await proc.exited;
      if (exit.code !== 0) throw new Error(`tool failed (exit ${exit.code})`);
    },
  };
}

describe('local disk driver: putFromTool (a child process writes the file)', () => {
  it('commits what the tool wrote, owner-only; size and sha256 are those of the file, like put', async () => {
    // ~3 MiB: several 1 MiB read-back chunks and a short last one.
    const tool = toolWriting(3 * 1024 * 1024 + 12_345);
    const result = await driver.putFromTool!('a/b/data.bin', tool.attach);
    const data = await readFile(path.join(root, 'a', 'b', 'data.bin'));
    expect(result).toEqual({ key: 'a/b/data.bin', size: data.length, sha256: sha256(data) });
    expect(data.length).toBe(3 * 1024 * 1024 + 12_345);
    expect((await stat(path.join(root, 'a', 'b', 'data.bin'))).mode & 0o777).toBe(0o600);
    expect(await allFiles()).toEqual([path.join('a', 'b', 'data.bin')]);
    expect(tool.fds).toHaveLength(1);
    // The driver closed its own descriptor: nothing of ours still points into the folder.
    const open = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    expect(open.filter((target) => target.startsWith(root))).toEqual([]);
  });

  it('writes the temp file in the object’s folder, hidden from list() until committed', async () => {
    let seen: { files: string[]; listed: string[] } | undefined;
    await driver.putFromTool!('pending/data.bin', async (fd) => {
      await toolWriting(1000).attach(fd);
      seen = { files: await allFiles(), listed: await driver.list('') };
    });
    expect(seen?.files).toHaveLength(1);
    expect(seen?.files[0]).toMatch(/^pending\/\.lifeboat-tmp-[0-9a-f]{16}$/);
    expect(seen?.listed).toEqual([]);
    expect(await driver.list('')).toEqual(['pending/data.bin']);
  });

  it('commits nothing when the tool fails, removes the temp file, and rethrows attach’s error unchanged', async () => {
    const tool = toolWriting(200_000, 3);
    await expect(driver.putFromTool!('broken/data.bin', tool.attach)).rejects.toThrow('tool failed (exit 3)');
    const boom = new Error('pipeline failed');
    await expect(driver.putFromTool!('broken/data.bin', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await driver.head('broken/data.bin')).toBeNull();
    expect(await allFiles()).toEqual([]);
  });

  it('commits nothing when aborted, even after the tool finished', async () => {
    const controller = new AbortController();
    const putting = driver.putFromTool!(
      'aborted/data.bin',
      async (fd) => {
        await toolWriting(10_000).attach(fd);
        controller.abort();
      },
      { signal: controller.signal },
    );
    await expect(putting).rejects.toThrow(/abort/i);
    expect(await allFiles()).toEqual([]);
    // Aborted before it starts: attach is never called.
    let attached = false;
    await expect(driver.putFromTool!('aborted/data.bin', () => Promise.resolve(void (attached = true)), { signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(attached).toBe(false);
  });

  it('refuses an existing key before starting the tool unless told to overwrite, then replaces it', async () => {
    await driver.put('k', Readable.from(['first']));
    let attached = false;
    await expectStorageError(
      driver.putFromTool!('k', () => Promise.resolve(void (attached = true))),
      'CONFLICT',
    );
    expect(attached).toBe(false);
    const replaced = await driver.putFromTool!('k', toolWriting(5000).attach, { overwrite: true });
    const data = await readFile(path.join(root, 'k'));
    expect(replaced).toEqual({ key: 'k', size: 5000, sha256: sha256(data) });
    expect(await allFiles()).toEqual(['k']);
  });

  it('refuses bad keys without calling attach', async () => {
    for (const key of ['', '../escape', '.lifeboat-tmp-deadbeef', 'a//b']) {
      await expectStorageError(driver.putFromTool!(key, () => Promise.reject(new Error('attach must not run'))), 'INVALID_KEY');
    }
    expect(await allFiles()).toEqual([]);
  });

  it('stores an empty file as an empty object (callers decide whether empty is acceptable)', async () => {
    const result = await driver.putFromTool!('empty', toolWriting(0).attach);
    expect(result).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
  });

  it('stores a large file across background flushes byte for byte', async () => {
    // ~70 MiB, written slowly enough (in 7 MiB steps) that the 64 MiB background flush has a chance to run.
    const bytes = 70 * 1024 * 1024;
    const result = await driver.putFromTool!('big/data.bin', async (fd) => {
      const proc = spawnProcess({ command: 'sh', args: ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do head -c 7340032 /dev/urandom; sleep 0.1; done'], stdout: fd });
      expect((await proc.exited).code).toBe(0);
    });
    const data = await readFile(path.join(root, 'big', 'data.bin'));
    expect(result).toEqual({ key: 'big/data.bin', size: bytes, sha256: sha256(data) });
  });
});

describe('local disk driver: putFromTool hashes the file while the tool writes it', () => {
  it('records the sha256sum of a 300 MiB file written slowly, having read most of it before the tool exited', async () => {
    // 30 writes of 10 MiB + 1 byte (so the follower's 1 MiB reads never line up with the writer's), 50 ms apart.
    const step = 10 * 1024 * 1024 + 1;
    const steps = 30;
    let readWhileWriting = 0;
    const result = await driver.putFromTool!('follow/data.bin', async (fd) => {
      const before = await bytesReadBySelf();
      const proc = spawnProcess({ command: 'sh', args: ['-c', `i=0; while [ $i -lt ${steps} ]; do head -c ${step} /dev/urandom; sleep 0.05; i=$((i+1)); done`], stdout: fd });
      expect((await proc.exited).code).toBe(0);
      // The follower is at most one wait behind the writer; give it that, then see how much this process read meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 300));
      readWhileWriting = (await bytesReadBySelf()) - before;
    }, { overwrite: false });
    const file = path.join(root, 'follow', 'data.bin');
    const { stdout } = await execFileAsync('sha256sum', [file]);
    expect(result).toEqual({ key: 'follow/data.bin', size: step * steps, sha256: stdout.split(' ')[0] });
    // Before, the whole file was read back only after attach resolved: ~0 here. Now all but the last stretch.
    expect(readWhileWriting).toBeGreaterThan((step * steps) / 2);
  }, 120_000);

  it('stops following and leaves nothing behind when the tool fails mid-way', async () => {
    await expect(
      driver.putFromTool!('follow-fail/data.bin', async (fd) => {
        const proc = spawnProcess({ command: 'sh', args: ['-c', 'head -c 5000000 /dev/urandom; sleep 0.2; exit 4'], stdout: fd });
        const exit = await proc.exited;
        throw new Error(`tool failed (exit ${exit.code})`);
      }),
    ).rejects.toThrow('tool failed (exit 4)');
    expect(await allFiles()).toEqual([]);
  });
});

/**
 * rchar summed over this process's threads (libuv's pool does the reads): what it has read so far, page cache
 * included. Not /proc/self/io, which also counts what reaped children read (the writer's /dev/urandom).
 */
async function bytesReadBySelf(): Promise<number> {
  const tids = await readdir('/proc/self/task');
  const counts = await Promise.all(tids.map((tid) => readFile(`/proc/self/task/${tid}/io`, 'utf8').then((io) => Number(/^rchar:\s*(\d+)$/m.exec(io)![1]), () => 0)));
  return counts.reduce((a, b) => a + b, 0);
}

describe('layout', () => {
  const parts = { sourceId: 'src_1', runId: 'run-abc', startedAt: new Date('2024-03-05T23:59:59.999Z') };

  it('builds dated, per-source keys that drivers accept', async () => {
    const keys = runArtifactKeys(parts, 'pgdump');
    expect(keys).toEqual({
      prefix: 'sources/src_1/2024/03/05/run-abc/',
      data: 'sources/src_1/2024/03/05/run-abc/data.pgdump',
      manifest: 'sources/src_1/2024/03/05/run-abc/manifest.json',
    });
    await driver.put(keys.data, Readable.from(['d']));
    await driver.put(keys.manifest, Readable.from(['{}']));
    expect(await driver.list('sources/src_1/')).toEqual([keys.data, keys.manifest]);
    expect(manifestKeyForDataKey(keys.data)).toBe(keys.manifest);
    expect(manifestKeyForDataKey(keys.manifest)).toBeNull();
    // Any object of a multi-object point (`<role>.<ext>`) sits beside the same manifest; a name of another shape does not.
    expect(manifestKeyForDataKey('sources/src_1/2024/03/05/run-abc/db.orders.pgdump.zst.age')).toBe(keys.manifest);
    expect(manifestKeyForDataKey('sources/src_1/2024/03/05/run-abc/README')).toBeNull();
    expect(manifestKeyForDataKey('sources/src_1/2024/03/05/run-abc/Notes.TXT')).toBeNull();
    expect(manifestKeyForDataKey('sources/../2024/03/05/run-abc/data.pgdump')).toBeNull();
  });

  it('refuses ids that could change the shape of a key', () => {
    expect(() => runArtifactKeys({ ...parts, sourceId: '../x' }, 'pgdump')).toThrow(/sourceId/);
    expect(() => runArtifactKeys({ ...parts, runId: 'a/b' }, 'pgdump')).toThrow(/runId/);
    expect(() => runArtifactKeys(parts, '../pgdump')).toThrow(/extension/);
    expect(() => runArtifactKeys({ ...parts, startedAt: new Date('nope') }, 'pgdump')).toThrow(/date/);
  });
});
