/**
 * verifyAndDecode refuses a damaged or wrong stored object before a single byte reaches the consumer: a flipped
 * byte anywhere, a truncation, an object swapped for another backup's. Real zstd and age, objects on local disk.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isArtifactError, type ArtifactErrorCode } from './errors';
import { generateIdentity, type AgeKeyPair } from './keys';
import { createWritePipeline, verifyAndDecode, verifyStored, verifyStoredAt, type WriteResult } from './pipeline';
import { childProcesses, sampleData, sha256 } from './test-support';

let dir: string;
let keys: AgeKeyPair;
const DATA_A = sampleData(3 * 1024 * 1024);
const DATA_B = sampleData(3 * 1024 * 1024);

interface StoredObject {
  file: string;
  result: WriteResult;
}
let objectA: StoredObject;
let objectB: StoredObject;

async function store(name: string, data: Buffer): Promise<StoredObject> {
  const pipeline = createWritePipeline(Readable.from([data]), { compression: { level: 3 }, recipients: [keys.recipient] });
  const [stored, result] = await Promise.all([buffer(pipeline.stream), pipeline.done]);
  const file = path.join(dir, name);
  await writeFile(file, stored);
  return { file, result };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-verify-'));
  keys = await generateIdentity();
  [objectA, objectB] = await Promise.all([store('a.zst.age', DATA_A), store('b.zst.age', DATA_B)]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a restore worker does: verifyAndDecode, then hand the stream to a consumer that counts what it receives. */
async function restoreFrom(file: string, expected: WriteResult): Promise<{ opens: number; received: number; error?: unknown }> {
  let opens = 0;
  let received = 0;
  const openStored = () => {
    opens++;
    return Promise.resolve(createReadStream(file) as Readable);
  };
  try {
    const decoded = await verifyAndDecode(openStored, {
      codec: expected.codec,
      identities: [keys.identity],
      expectedStoredSha256: expected.storedSha256!,
      expectedStoredBytes: expected.storedBytes,
      expectedRawSha256: expected.rawSha256,
      tmpDir: dir,
    });
    decoded.stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await decoded.done;
    return { opens, received };
  } catch (error) {
    return { opens, received, error };
  }
}

async function damaged(name: string, edit: (bytes: Buffer) => Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, edit(Buffer.from(await readFile(objectA.file))));
  return file;
}

function expectRefused(outcome: { opens: number; received: number; error?: unknown }, code: ArtifactErrorCode): void {
  expect(isArtifactError(outcome.error, code), `expected ${code}, got ${String(outcome.error)}`).toBe(true);
  expect(outcome.received).toBe(0);
  // Refused in the verification pass: the object was never opened a second time for decoding.
  expect(outcome.opens).toBe(1);
}

describe('verifyAndDecode', () => {
  it('passes an intact object through, byte for byte', async () => {
    const outcome = await restoreFrom(objectA.file, objectA.result);
    expect(outcome).toEqual({ opens: 2, received: DATA_A.length });
  });

  it('refuses an object with one flipped bit, wherever it is: CHECKSUM_MISMATCH, 0 bytes delivered', async () => {
    const size = objectA.result.storedBytes!;
    // The age header, the first payload chunk, a chunk boundary (64 KiB + header), the middle, the last byte.
    for (const position of [0, 40, 200, 65_536 + 200, Math.floor(size / 2), size - 1]) {
      const file = await damaged(`flip-${position}`, (bytes) => {
        bytes[position] = (bytes[position] ?? 0) ^ 0x01;
        return bytes;
      });
      expectRefused(await restoreFrom(file, objectA.result), 'CHECKSUM_MISMATCH');
    }
  });

  it('refuses a truncated object: SIZE_MISMATCH, 0 bytes delivered', async () => {
    for (const keep of [0, 1000, objectA.result.storedBytes! - 1]) {
      const file = await damaged(`truncated-${keep}`, (bytes) => bytes.subarray(0, keep));
      expectRefused(await restoreFrom(file, objectA.result), 'SIZE_MISMATCH');
    }
  });

  it('refuses an object with bytes appended: SIZE_MISMATCH', async () => {
    const file = await damaged('appended', (bytes) => Buffer.concat([bytes, Buffer.from('\n')]));
    expectRefused(await restoreFrom(file, objectA.result), 'SIZE_MISMATCH');
  });

  it("refuses another backup's object in its place, same size or not", async () => {
    // Same settings and same-size inputs give same-size objects, so only the hash can tell them apart.
    const outcome = await restoreFrom(objectB.file, objectA.result);
    const code = objectB.result.storedBytes === objectA.result.storedBytes ? 'CHECKSUM_MISMATCH' : 'SIZE_MISMATCH';
    expectRefused(outcome, code);
    const sameSize = await damaged('b-padded', () => Buffer.alloc(objectA.result.storedBytes!, 0x61));
    expectRefused(await restoreFrom(sameSize, objectA.result), 'CHECKSUM_MISMATCH');
  });

  it('checks options before reading anything', async () => {
    let opens = 0;
    const err = await verifyAndDecode(
      () => {
        opens++;
        return Promise.resolve(createReadStream(objectA.file) as Readable);
      },
      { codec: 'zstd+age', identities: [], expectedStoredSha256: objectA.result.storedSha256! },
    ).catch((e: unknown) => e);
    expect(isArtifactError(err, 'BAD_KEY')).toBe(true);
    expect(opens).toBe(0);
  });

  it('leaves no tool running after a refusal or a restore', async () => {
    expect(await childProcesses()).toEqual([]);
  });
});

describe('verifyStored', () => {
  it('returns size and hash of a good object and passes storage errors through unchanged', async () => {
    await expect(verifyStored(Readable.from([DATA_A]), sha256(DATA_A), DATA_A.length)).resolves.toEqual({ bytes: DATA_A.length, sha256: sha256(DATA_A) });
    await expect(verifyStored(Readable.from([DATA_A]), sha256(DATA_A).toUpperCase())).resolves.toMatchObject({ bytes: DATA_A.length });
    const storageError = Object.assign(new Error('connection reset'), { code: 'IO' });
    const failing = new Readable({
      read() {
        this.destroy(storageError);
      },
    });
    await expect(verifyStored(failing, sha256(DATA_A), DATA_A.length)).rejects.toBe(storageError);
  });

  it('is cancellable', async () => {
    const never = new Readable({ read() {} });
    const controller = new AbortController();
    const verifying = verifyStored(never, sha256(''), 10, { signal: controller.signal });
    controller.abort();
    const err = await verifying.catch((e: unknown) => e);
    expect(isArtifactError(err, 'CANCELLED')).toBe(true);
    expect(never.destroyed).toBe(true);
  });
});

describe('verifyStoredAt', () => {
  /** A store of local files (as local disk): every file it opened, so the test can see each was closed. */
  function fileStore() {
    const opened: FileHandle[] = [];
    return {
      opened,
      get: () => Promise.reject(new Error('a store of local files is read through openFile, not get')),
      openFile: async (key: string) => {
        const fh = await open(key, 'r');
        opened.push(fh);
        return fh;
      },
    };
  }
  const outcome = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  // objectA is stored in beforeAll: read its figures when a test runs.
  const storedSha256 = () => objectA.result.storedSha256!;
  const storedBytes = () => objectA.result.storedBytes;

  it('reads a local file by its descriptor: size and sha256 of a good object, and the file closed after', async () => {
    const store = fileStore();
    await expect(verifyStoredAt(store, objectA.file, storedSha256(), storedBytes())).resolves.toEqual({ bytes: storedBytes(), sha256: storedSha256() });
    expect(store.opened).toHaveLength(1);
    expect(store.opened[0]!.fd).toBe(-1);
  });

  it('refuses a flipped byte, a truncation and appended bytes, closing the file each time', async () => {
    const store = fileStore();
    const flipped = await damaged('at-flipped', (b) => {
      const mid = b.length >> 1;
      b[mid] = b[mid]! ^ 1;
      return b;
    });
    const short = await damaged('at-short', (b) => b.subarray(0, b.length - 1));
    const long = await damaged('at-long', (b) => Buffer.concat([b, Buffer.from('x')]));
    expect(isArtifactError(await outcome(verifyStoredAt(store, flipped, storedSha256(), storedBytes())), 'CHECKSUM_MISMATCH')).toBe(true);
    expect(isArtifactError(await outcome(verifyStoredAt(store, short, storedSha256(), storedBytes())), 'SIZE_MISMATCH')).toBe(true);
    expect(isArtifactError(await outcome(verifyStoredAt(store, long, storedSha256(), storedBytes())), 'SIZE_MISMATCH')).toBe(true);
    expect(store.opened.map((fh) => fh.fd)).toEqual([-1, -1, -1]);
  });

  it("passes the store's error for an object it cannot open, and is cancellable", async () => {
    const store = fileStore();
    const missing = await outcome(verifyStoredAt(store, path.join(dir, 'absent'), storedSha256(), storedBytes()));
    expect((missing as NodeJS.ErrnoException).code).toBe('ENOENT');
    const controller = new AbortController();
    controller.abort();
    const cancelled = await outcome(verifyStoredAt(store, objectA.file, storedSha256(), storedBytes(), { signal: controller.signal }));
    expect(isArtifactError(cancelled, 'CANCELLED')).toBe(true);
    expect(store.opened.at(-1)!.fd).toBe(-1);
  });

  it('reads any other store as a stream', async () => {
    const streamOnly = { get: () => Promise.resolve(createReadStream(objectA.file) as Readable) };
    await expect(verifyStoredAt(streamOnly, objectA.file, storedSha256(), storedBytes())).resolves.toEqual({ bytes: storedBytes(), sha256: storedSha256() });
  });
});
