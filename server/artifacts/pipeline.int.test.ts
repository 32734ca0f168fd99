/**
 * The write and read pipelines with the real zstd and age binaries: round trips, failing stages, cancellation and
 * back-pressure. Every test that starts tools also proves none of them is left running afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { isArtifactError } from './errors';
import { generateIdentity, type AgeKeyPair } from './keys';
import { createReadPipeline, createWritePipeline, type WriteResult } from './pipeline';
import { childProcesses, drain, generatedInput, isAlive, sampleData, sha256, waitFor } from './test-support';

const run = promisify(execFile);

// Several MB: more than every pipe and stream buffer on the way, so back-pressure and chunking are exercised.
const DATA = sampleData(5 * 1024 * 1024 + 12_345);
let keys: AgeKeyPair;
let otherKeys: AgeKeyPair;
let tmp: string;

beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([generateIdentity(), generateIdentity()]);
  tmp = await mkdtemp(path.join(tmpdir(), 'lifeboat-artifacts-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  // Whatever a test did, it must not leave a tool behind.
  await waitFor(async () => (await childProcesses()).length === 0);
});

/** Feeds `data` in uneven chunks, as a network stream would. */
function chunked(data: Buffer): Readable {
  const sizes = [1, 100, 65_536, 1_000_000];
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(chunks);
}

async function write(data: Buffer, opts: Parameters<typeof createWritePipeline>[1]): Promise<{ stored: Buffer; result: WriteResult }> {
  const pipeline = createWritePipeline(chunked(data), opts);
  const [stored, result] = await Promise.all([buffer(pipeline.stream), pipeline.done]);
  return { stored, result };
}

async function expectRejects(promise: Promise<unknown>, code: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isArtifactError(err, code as never), `expected ArtifactError ${code}, got ${String(err)}`).toBe(true);
  return err as Error;
}

describe('round trip', () => {
  const cases = [
    { codec: 'none', compression: null, encrypt: false },
    { codec: 'zstd', compression: { level: 3 }, encrypt: false },
    { codec: 'age', compression: null, encrypt: true },
    { codec: 'zstd+age', compression: { level: 3 }, encrypt: true },
    { codec: 'zstd+age', compression: { level: 19, threads: 2 }, encrypt: true },
  ] as const;

  for (const c of cases) {
    it(`${c.codec}${c.compression ? ` level ${c.compression.level}` : ''}: read(write(x)) = x, and both hashes are right`, async () => {
      const { stored, result } = await write(DATA, { compression: c.compression, recipients: c.encrypt ? [keys.recipient] : [] });
      expect(result).toEqual({
        codec: c.codec,
        rawBytes: DATA.length,
        rawSha256: sha256(DATA),
        storedBytes: stored.length,
        storedSha256: sha256(stored),
      });
      if (c.compression) expect(stored.length).toBeLessThan(DATA.length * 0.75);
      if (c.codec === 'none') expect(stored.equals(DATA)).toBe(true);
      if (c.encrypt) expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');

      const read = createReadPipeline(chunked(stored), {
        codec: result.codec,
        identities: c.encrypt ? [keys.identity] : [],
        expectedStoredSha256: result.storedSha256!,
        expectedStoredBytes: result.storedBytes,
        expectedRawSha256: result.rawSha256,
        expectedRawBytes: result.rawBytes,
        tmpDir: tmp,
      });
      const [raw, readResult] = await Promise.all([buffer(read.stream), read.done]);
      expect(raw.equals(DATA)).toBe(true);
      expect(readResult).toEqual({ rawBytes: DATA.length, rawSha256: sha256(DATA), storedBytes: stored.length, storedSha256: sha256(stored) });
      // The identity file is gone once the read is done.
      expect(await readdir(tmp)).toEqual([]);
    });
  }

  it('an empty input round-trips (the empty-dump check belongs to the caller)', async () => {
    const { stored, result } = await write(Buffer.alloc(0), { compression: { level: 3 }, recipients: [keys.recipient] });
    expect(result.rawBytes).toBe(0);
    expect(result.storedBytes).toBeGreaterThan(0);
    const read = createReadPipeline(Readable.from([stored]), { codec: 'zstd+age', identities: [keys.identity], expectedStoredSha256: result.storedSha256! });
    const [raw] = await Promise.all([buffer(read.stream), read.done]);
    expect(raw.length).toBe(0);
  });

  it('encrypts to every recipient: each identity alone decrypts, and the age CLI agrees with recipientOf', async () => {
    const { stored, result } = await write(DATA.subarray(0, 100_000), { compression: { level: 3 }, recipients: [keys.recipient, otherKeys.recipient] });
    for (const identity of [keys.identity, otherKeys.identity]) {
      const read = createReadPipeline(Readable.from([stored]), { codec: 'zstd+age', identities: [identity], expectedStoredSha256: result.storedSha256! });
      const [raw] = await Promise.all([buffer(read.stream), read.done]);
      expect(sha256(raw)).toBe(result.rawSha256);
    }
    const keyFile = path.join(tmp, 'key.txt');
    await writeFile(keyFile, `${keys.identity}\n`, { mode: 0o600 });
    const { stdout } = await run('age-keygen', ['-y', keyFile]);
    await rm(keyFile);
    expect(stdout.trim()).toBe(keys.recipient);
  });
});

describe('a failing stage errors the stream and rejects done', () => {
  it('zstd -d on bytes that are not zstd: TOOL_FAILED with the tool and its stderr', async () => {
    const garbage = Buffer.from('this is not a zstd frame at all');
    const read = createReadPipeline(Readable.from([garbage]), { codec: 'zstd', identities: [], expectedStoredSha256: sha256(garbage) });
    const [outcome, err] = await Promise.all([drain(read.stream), expectRejects(read.done, 'TOOL_FAILED')]);
    expect(outcome.ended).toBe(false);
    expect(isArtifactError(outcome.error, 'TOOL_FAILED')).toBe(true);
    expect(err.message).toMatch(/^zstd -d failed \(exit code 1\): .*unsupported format/);
  });

  it('zstd -d on a truncated frame: the stream errors after partial output instead of ending', async () => {
    const { stored, result } = await write(DATA, { compression: { level: 3 }, recipients: [] });
    const cut = stored.subarray(0, Math.floor(stored.length / 2));
    const read = createReadPipeline(Readable.from([cut]), { codec: result.codec, identities: [], expectedStoredSha256: sha256(cut) });
    const [outcome, err] = await Promise.all([drain(read.stream), expectRejects(read.done, 'TOOL_FAILED')]);
    expect(outcome.ended).toBe(false);
    expect(err.message).toMatch(/zstd -d failed/);
  });

  it('age -d with the wrong identity: TOOL_FAILED naming age (not the zstd -d that saw no input)', async () => {
    const { stored, result } = await write(DATA, { compression: { level: 3 }, recipients: [keys.recipient] });
    const read = createReadPipeline(Readable.from([stored]), {
      codec: result.codec,
      identities: [otherKeys.identity],
      expectedStoredSha256: result.storedSha256!,
      tmpDir: tmp,
    });
    const [outcome, err] = await Promise.all([drain(read.stream), expectRejects(read.done, 'TOOL_FAILED')]);
    expect(outcome).toMatchObject({ ended: false, bytes: 0 });
    expect(err.message).toBe('age -d failed (exit code 1): no identity matched any of the recipients');
    expect(err.message).not.toContain(otherKeys.identity);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a compressor that exits non-zero fails the write', async () => {
    const pipeline = createWritePipeline(chunked(DATA), { compression: { level: 3 }, recipients: [keys.recipient], tools: { zstd: 'false' } });
    const [outcome, err] = await Promise.all([drain(pipeline.stream), expectRejects(pipeline.done, 'TOOL_FAILED')]);
    expect(outcome.ended).toBe(false);
    expect(err.message).toBe('zstd failed (exit code 1)');
  });

  it('a tool that exits 0 without reading all of its input fails the run (no silently dropped bytes)', async () => {
    const pipeline = createWritePipeline(chunked(DATA), { compression: { level: 3 }, recipients: [keys.recipient], tools: { zstd: 'true' } });
    const [outcome, err] = await Promise.all([drain(pipeline.stream), expectRejects(pipeline.done, 'TOOL_FAILED')]);
    expect(outcome.ended).toBe(false);
    expect(err.message).toBe('zstd exited before reading all of its input');
  });

  it('a tool dying mid-stream while its upstream is backed up still settles done, blaming the dead tool', async () => {
    // Stands in for age: reads 1 MB, then exits 3. zstd (upstream, fed incompressible data) is by then blocked on
    // a full socket that nobody will read again; killing it is not enough, its unread output must be dropped too,
    // or its 'close' never comes.
    const fakeAge = path.join(tmp, 'dies-after-1mb');
    await writeFile(
      fakeAge,
      '#!/usr/bin/env node\nlet n = 0;\nprocess.stdin.on("data", (c) => { n += c.length; if (n > 1e6) process.exit(3); });\n',
      { mode: 0o755 },
    );
    const pipeline = createWritePipeline(generatedInput(Infinity).stream, { compression: { level: 1 }, recipients: [keys.recipient], tools: { age: fakeAge } });
    const [outcome, err] = await Promise.all([drain(pipeline.stream), expectRejects(pipeline.done, 'TOOL_FAILED')]);
    await rm(fakeAge);
    expect(outcome.ended).toBe(false);
    expect(err.message).toBe('age failed (exit code 3)');
  });

  it('aborting while nobody reads the output still settles done', async () => {
    const controller = new AbortController();
    const pipeline = createWritePipeline(generatedInput(Infinity).stream, { compression: { level: 3 }, recipients: [keys.recipient], signal: controller.signal });
    // Let every buffer on the way fill up, output sockets included.
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    await expectRejects(pipeline.done, 'CANCELLED');
  });

  it('a missing tool is TOOL_NOT_FOUND', async () => {
    const pipeline = createWritePipeline(chunked(DATA), { compression: null, recipients: [keys.recipient], tools: { age: 'lifeboat-no-such-age' } });
    const [outcome, err] = await Promise.all([drain(pipeline.stream), expectRejects(pipeline.done, 'TOOL_NOT_FOUND')]);
    expect(outcome.ended).toBe(false);
    expect(err.message).toMatch(/lifeboat-no-such-age not found/);
  });

  it("the input's own error comes out unchanged, and the tools are stopped", async () => {
    const input = new PassThrough();
    const pipeline = createWritePipeline(input, { compression: { level: 3 }, recipients: [keys.recipient] });
    const outcome = drain(pipeline.stream);
    input.write(DATA.subarray(0, 1_000_000));
    await waitFor(async () => (await childProcesses()).length === 2);
    const engineError = Object.assign(new Error('pg_dump failed: connection refused'), { code: 'TOOL_FAILED' });
    input.destroy(engineError);
    await expect(pipeline.done).rejects.toBe(engineError);
    expect((await outcome).error).toBe(engineError);
    expect(await childProcesses()).toEqual([]);
  });

  it('refuses bad settings before starting anything', async () => {
    const input = () => Readable.from([DATA]);
    const cases: [() => unknown, string][] = [
      [() => createWritePipeline(input(), { compression: { level: 0 }, recipients: [] }), 'INVALID_OPTIONS'],
      [() => createWritePipeline(input(), { compression: { level: 22 }, recipients: [] }), 'INVALID_OPTIONS'],
      [() => createWritePipeline(input(), { compression: { level: 3, threads: -1 }, recipients: [] }), 'INVALID_OPTIONS'],
      [() => createWritePipeline(input(), { compression: null, recipients: ['--help'] }), 'BAD_KEY'],
      [() => createReadPipeline(input(), { codec: 'zstd+age', identities: [], expectedStoredSha256: sha256('') }), 'BAD_KEY'],
      [() => createReadPipeline(input(), { codec: 'age', identities: [keys.recipient], expectedStoredSha256: sha256('') }), 'BAD_KEY'],
      [() => createReadPipeline(input(), { codec: 'gzip', identities: [], expectedStoredSha256: sha256('') }), 'INVALID_OPTIONS'],
      [() => createReadPipeline(input(), { codec: 'none', identities: [], expectedStoredSha256: 'abc' }), 'INVALID_OPTIONS'],
    ];
    for (const [fn, code] of cases) {
      expect(fn).toThrow(expect.objectContaining({ code }));
    }
    expect(await childProcesses()).toEqual([]);
  });
});

describe('read-side checks while streaming', () => {
  it('a wrong raw hash errors the stream at the end: RAW_CHECKSUM_MISMATCH', async () => {
    const { stored, result } = await write(DATA, { compression: { level: 3 }, recipients: [keys.recipient] });
    const read = createReadPipeline(Readable.from([stored]), {
      codec: result.codec,
      identities: [keys.identity],
      expectedStoredSha256: result.storedSha256!,
      expectedRawSha256: sha256('something else'),
    });
    const [outcome] = await Promise.all([drain(read.stream), expectRejects(read.done, 'RAW_CHECKSUM_MISMATCH')]);
    expect(outcome.ended).toBe(false);
    expect(isArtifactError(outcome.error, 'RAW_CHECKSUM_MISMATCH')).toBe(true);
  });

  it('a stored object longer than recorded is cut off as soon as it runs over: SIZE_MISMATCH', async () => {
    const read = createReadPipeline(Readable.from([DATA]), { codec: 'none', identities: [], expectedStoredSha256: sha256(DATA), expectedStoredBytes: 1000 });
    const [outcome] = await Promise.all([drain(read.stream), expectRejects(read.done, 'SIZE_MISMATCH')]);
    expect(outcome.ended).toBe(false);
    expect(outcome.bytes).toBeLessThanOrEqual(1000);
  });

  it('a stored hash mismatch errors the stream (the single-pass reader cannot do better; see verifyAndDecode)', async () => {
    const read = createReadPipeline(Readable.from([DATA]), { codec: 'none', identities: [], expectedStoredSha256: sha256('other') });
    const [outcome] = await Promise.all([drain(read.stream), expectRejects(read.done, 'CHECKSUM_MISMATCH')]);
    expect(outcome.ended).toBe(false);
  });
});

describe('cancellation and back-pressure', () => {
  it('aborting the signal kills every tool; done rejects CANCELLED only once they are gone', async () => {
    const controller = new AbortController();
    const input = generatedInput(Infinity);
    const pipeline = createWritePipeline(input.stream, { compression: { level: 3 }, recipients: [keys.recipient], signal: controller.signal });
    const outcome = drain(pipeline.stream);
    await waitFor(() => input.pulled() > 8 * 1024 * 1024);
    const children = await childProcesses();
    expect(children.map((c) => c.comm).sort()).toEqual(['age', 'zstd']);
    controller.abort();
    await expectRejects(pipeline.done, 'CANCELLED');
    // No grace period needed: done only rejects after every child has exited.
    for (const { pid } of children) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(await childProcesses()).toEqual([]);
    expect((await outcome).ended).toBe(false);
    expect(input.stream.destroyed).toBe(true);
  });

  it('destroying the output kills every tool and stops the input', async () => {
    const input = generatedInput(Infinity);
    const pipeline = createWritePipeline(input.stream, { compression: { level: 3 }, recipients: [keys.recipient] });
    let received = 0;
    pipeline.stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await waitFor(() => received > 1_000_000);
    const children = await childProcesses();
    expect(children).toHaveLength(2);
    pipeline.stream.destroy();
    await expectRejects(pipeline.done, 'CANCELLED');
    for (const { pid } of children) expect(isAlive(pid)).toBe(false);
    expect(input.stream.destroyed).toBe(true);
  });

  it('aborting a read kills age and zstd too and removes the identity file', async () => {
    const { stored, result } = await write(DATA, { compression: { level: 3 }, recipients: [keys.recipient] });
    const controller = new AbortController();
    const slow = new PassThrough();
    slow.write(stored.subarray(0, 100_000)); // the rest never comes
    const read = createReadPipeline(slow, {
      codec: result.codec,
      identities: [keys.identity],
      expectedStoredSha256: result.storedSha256!,
      signal: controller.signal,
      tmpDir: tmp,
    });
    const outcome = drain(read.stream);
    await waitFor(async () => (await childProcesses()).length === 2);
    controller.abort();
    await expectRejects(read.done, 'CANCELLED');
    expect(await childProcesses()).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    expect((await outcome).ended).toBe(false);
  });

  it('an already-aborted signal starts nothing', async () => {
    const pipeline = createWritePipeline(chunked(DATA), { compression: { level: 3 }, recipients: [], signal: AbortSignal.abort() });
    await expectRejects(pipeline.done, 'CANCELLED');
    expect(await childProcesses()).toEqual([]);
  });

  it('a consumer that stops reading stops the input: read-ahead stays bounded', async () => {
    const input = generatedInput(Infinity);
    const pipeline = createWritePipeline(input.stream, { compression: { level: 3 }, recipients: [keys.recipient] });
    // Read a little, then stop without destroying anything.
    await new Promise<void>((resolve) => pipeline.stream.once('readable', () => resolve()));
    pipeline.stream.read();
    let last = -1;
    await waitFor(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = input.pulled();
      const stalled = now === last;
      last = now;
      return stalled;
    }, 10_000);
    // Buffers on the way: our taps and the output (~1 MiB), two socket pairs and zstd's window. Random halves of
    // the data barely compress, so this is close to what sits in memory; far below "everything".
    expect(input.pulled()).toBeLessThan(32 * 1024 * 1024);
    pipeline.stream.destroy();
    await expectRejects(pipeline.done, 'CANCELLED');
  });
});
