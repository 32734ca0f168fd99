import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { isStorageError, type StorageDriver, type StorageErrorCode } from './driver';

/**
 * The contract of `StorageDriver` as one test suite, run against every driver (GUIDE: "one conformance test
 * suite runs against every driver"). Each driver's test file supplies a fresh, empty subject per test.
 */
export interface ConformanceSubject {
  driver: StorageDriver;
  /**
   * The same store through a driver that lists in small pages, so paging is exercised without writing
   * thousands of keys. Omit for drivers that do not page.
   */
  pagedDriver?: StorageDriver;
  /**
   * Bytes or state a failed put may leave behind that are not objects: temp files for local disk, in-progress
   * multipart uploads for S3. Must be empty after any put has settled.
   */
  leftovers(): Promise<string[]>;
  /** Bytes after which a put is known to be past its first network round trip (S3: one part). */
  partSize?: number;
  cleanup(): Promise<void>;
}

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

// Small chunks like a pipe would deliver them, so streaming (not one big buffer) is what gets tested.
const CHUNK = 64 * 1024;

/** `total` random bytes as a stream of 64 KiB chunks, plus the same bytes for comparison. */
function randomSource(total: number): { data: Buffer; stream: () => Readable } {
  const data = randomBytes(total);
  return {
    data,
    stream: () =>
      Readable.from(
        (function* () {
          for (let offset = 0; offset < total; offset += CHUNK) yield data.subarray(offset, offset + CHUNK);
        })(),
      ),
  };
}

async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(err, code), `expected StorageError ${code}, got ${String(err)}`).toBe(true);
}

export function describeStorageConformance(name: string, makeSubject: () => Promise<ConformanceSubject>): void {
  describe(`${name}: StorageDriver conformance`, () => {
    let subject: ConformanceSubject;
    let driver: StorageDriver;

    beforeEach(async () => {
      subject = await makeSubject();
      driver = subject.driver;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    /** Enough bytes that a put is well past its first part (S3) before the test breaks it. */
    const pastFirstPart = () => (subject.partSize ?? 1024 * 1024) + 1024 * 1024;

    it('round-trips put/get/head/delete with correct size and sha256, across several parts', async () => {
      const { data, stream } = randomSource(2 * pastFirstPart() + 12345);
      const result = await driver.put('a/b/c.bin', stream());
      expect(result).toEqual({ key: 'a/b/c.bin', size: data.length, sha256: sha256(data) });
      expect(await driver.head('a/b/c.bin')).toEqual({ size: data.length });
      expect(sha256(await buffer(await driver.get('a/b/c.bin')))).toBe(sha256(data));

      await driver.delete('a/b/c.bin');
      expect(await driver.head('a/b/c.bin')).toBeNull();
      await expectStorageError(driver.get('a/b/c.bin'), 'NOT_FOUND');
      expect(await subject.leftovers()).toEqual([]);
    });

    it('accepts string chunks and reports the bytes of their UTF-8 encoding', async () => {
      const result = await driver.put('text', Readable.from(['héllo ', 'wörld']));
      const bytes = Buffer.from('héllo wörld');
      expect(result).toEqual({ key: 'text', size: bytes.length, sha256: sha256(bytes) });
      expect((await buffer(await driver.get('text'))).toString()).toBe('héllo wörld');
    });

    it('lists by plain string prefix, sorted', async () => {
      for (const key of ['a/d.txt', 'ab.txt', 'a/b/c.bin', 'b', 'a/b/a.bin']) await driver.put(key, Readable.from([key]));
      expect(await driver.list('')).toEqual(['a/b/a.bin', 'a/b/c.bin', 'a/d.txt', 'ab.txt', 'b']);
      expect(await driver.list('a/')).toEqual(['a/b/a.bin', 'a/b/c.bin', 'a/d.txt']);
      expect(await driver.list('a')).toEqual(['a/b/a.bin', 'a/b/c.bin', 'a/d.txt', 'ab.txt']);
      expect(await driver.list('a/b')).toEqual(['a/b/a.bin', 'a/b/c.bin']);
      expect(await driver.list('a/b/c')).toEqual(['a/b/c.bin']);
      expect(await driver.list('nope/')).toEqual([]);
      await expectStorageError(driver.list('../'), 'INVALID_KEY');
      await expectStorageError(driver.list('/abs'), 'INVALID_KEY');
    });

    it('pages through listings larger than one page', async () => {
      const paged = subject.pagedDriver ?? driver;
      // Neighbours of a folder name (`-` and `.` sort before `/`) catch a store that pages in folder-walk order.
      const keys = [
        ...Array.from({ length: 17 }, (_, i) => `many/${String((i * 7) % 17).padStart(2, '0')}`),
        ...['many/a/1', 'many/a/2', 'many/a.txt', 'many/a-b', 'many/a0', 'many/b/c/d'],
      ];
      await Promise.all(keys.map((key) => driver.put(key, Readable.from(['x']))));
      await driver.put('other', Readable.from(['x']));
      const sorted = [...keys].sort();
      expect(await paged.list('many/')).toEqual(sorted);
      expect(await paged.list('')).toEqual([...sorted, 'other']);
    });

    it('handles empty objects', async () => {
      const empty = await driver.put('empty', Readable.from([]));
      expect(empty).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await driver.head('empty')).toEqual({ size: 0 });
      expect((await buffer(await driver.get('empty'))).length).toBe(0);
      expect((await buffer(await driver.get('empty', { start: 0 }))).length).toBe(0);
      expect(await driver.list('')).toEqual(['empty']);
    });

    it('reads byte ranges (end inclusive, clamped like HTTP) and refuses impossible ones', async () => {
      await driver.put('digits', Readable.from(['0123456789']));
      expect((await buffer(await driver.get('digits', { start: 2, end: 4 }))).toString()).toBe('234');
      expect((await buffer(await driver.get('digits', { start: 7 }))).toString()).toBe('789');
      expect((await buffer(await driver.get('digits', { start: 9, end: 9 }))).toString()).toBe('9');
      expect((await buffer(await driver.get('digits', { start: 8, end: 999 }))).toString()).toBe('89');
      expect((await buffer(await driver.get('digits', { start: 0 }))).toString()).toBe('0123456789');
      await expectStorageError(driver.get('digits', { start: 10 }), 'INVALID_RANGE');
      await expectStorageError(driver.get('digits', { start: 5, end: 4 }), 'INVALID_RANGE');
      await expectStorageError(driver.get('digits', { start: -1 }), 'INVALID_RANGE');
      await expectStorageError(driver.get('digits', { start: 1.5 }), 'INVALID_RANGE');
      await expectStorageError(driver.get('missing', { start: 0 }), 'NOT_FOUND');
    });

    it('refuses to overwrite unless asked, and destroys the refused source', async () => {
      await driver.put('k', Readable.from(['first']));
      const refused = Readable.from(['second']);
      await expectStorageError(driver.put('k', refused), 'CONFLICT');
      expect(refused.destroyed).toBe(true);
      expect((await buffer(await driver.get('k'))).toString()).toBe('first');

      const replaced = await driver.put('k', Readable.from(['second!']), { overwrite: true });
      expect(replaced).toEqual({ key: 'k', size: 7, sha256: sha256(Buffer.from('second!')) });
      expect((await buffer(await driver.get('k'))).toString()).toBe('second!');
      expect(await driver.list('')).toEqual(['k']);
    });

    it('leaves nothing behind when the source fails mid-way, and rethrows its error unchanged', async () => {
      const boom = new Error('engine died');
      const { data } = randomSource(pastFirstPart());
      const source = Readable.from(
        (async function* () {
          for (let offset = 0; offset < data.length; offset += CHUNK) yield data.subarray(offset, offset + CHUNK);
          await sleep(200); // let the first part reach the backend before failing
          throw boom;
        })(),
      );
      await expect(driver.put('broken/data.bin', source)).rejects.toBe(boom);
      expect(await driver.head('broken/data.bin')).toBeNull();
      expect(await driver.list('')).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    });

    it('leaves nothing behind when aborted mid-stream, and destroys the source', async () => {
      const source = new PassThrough();
      const controller = new AbortController();
      const putting = driver.put('aborted/data.bin', source, { signal: controller.signal });
      source.write(randomBytes(pastFirstPart()));
      await sleep(200);
      controller.abort();

      await expect(putting).rejects.toThrow(/abort/i);
      expect(source.destroyed).toBe(true);
      expect(await driver.head('aborted/data.bin')).toBeNull();
      expect(await subject.leftovers()).toEqual([]);
    });

    it('refuses a put whose signal is already aborted', async () => {
      const source = Readable.from(['x']);
      const controller = new AbortController();
      controller.abort();
      await expect(driver.put('never', source, { signal: controller.signal })).rejects.toThrow(/abort/i);
      expect(source.destroyed).toBe(true);
      expect(await driver.head('never')).toBeNull();
    });

    it('rejects bad keys without touching the store', async () => {
      const bad = ['', '/etc/passwd', '../escape', 'a/../../escape', 'a/./b', 'a//b', 'a/b/', 'nul\u0000byte', 'new\nline', 'back\\slash', 'x'.repeat(1025)];
      for (const key of bad) {
        const source = Readable.from(['x']);
        await expectStorageError(driver.put(key, source), 'INVALID_KEY');
        expect(source.destroyed, `source destroyed for ${JSON.stringify(key)}`).toBe(true);
        await expectStorageError(driver.get(key), 'INVALID_KEY');
        await expectStorageError(driver.head(key), 'INVALID_KEY');
        await expectStorageError(driver.delete(key), 'INVALID_KEY');
      }
      expect(await driver.list('')).toEqual([]);
      expect(await subject.leftovers()).toEqual([]);
    });

    it('openFile (where the driver has it): the object as a read-only file; NOT_FOUND and INVALID_KEY as get', async (context) => {
      const openFile = driver.openFile?.bind(driver);
      if (openFile === undefined) return context.skip('this driver keeps no local files (callers use get)');
      const { data, stream } = randomSource(pastFirstPart());
      await driver.put('file/object.bin', stream());
      const fh = await openFile('file/object.bin');
      try {
        expect(sha256(await fh.readFile())).toBe(sha256(data));
        await expect(fh.write(Buffer.from('x'), 0, 1, 0)).rejects.toMatchObject({ code: 'EBADF' });
      } finally {
        await fh.close();
      }
      await expectStorageError(openFile('file/missing.bin'), 'NOT_FOUND');
      await expectStorageError(openFile('../escape'), 'INVALID_KEY');
    });

    it('deletes idempotently and reports absent objects', async () => {
      await driver.delete('never/existed');
      expect(await driver.head('never/existed')).toBeNull();
      await expectStorageError(driver.get('never/existed'), 'NOT_FOUND');

      await driver.put('twice', Readable.from(['x']));
      await driver.delete('twice');
      await driver.delete('twice');
      expect(await driver.list('')).toEqual([]);
    });
  });
}
