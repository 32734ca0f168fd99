import fs from 'node:fs';
import { mkdir, mkdtemp, open, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { verifyStored, verifyStoredAt } from '@/server/artifacts/verify';
import type { StorageDriver } from '@/server/storage/driver';

// Spooling needs the object's size free plus this much headroom, so a download never fills the web server's disk to
// the last block (the catalog's own files, other downloads and the OS need some too). Same rule as the restore spool.
const SPOOL_HEADROOM_BYTES = 512 * 1024 * 1024;

export interface VerifiedObject {
  /** Opens the verified bytes again, for decoding: the spool file, or the store once more. */
  reopen(): Promise<Readable>;
  /** Whether `reopen` reads a private spool file (true) or the store again (false). */
  spooled: boolean;
  /** Removes the spool file, if any. Safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Reads one stored object to its end and checks its size and sha256 (`verifyStoredAt`) before anything of it is
 * decoded, so a download never hands out a byte of an object that fails its checksum. Throws what `verifyStored`
 * throws (`SIZE_MISMATCH`, `CHECKSUM_MISMATCH`) or the driver's `StorageError` (`NOT_FOUND` …), leaving nothing behind.
 *
 * The trade-off between a second read and a temporary copy, as in `restoreArtifact`:
 * - a store of local files (local disk, `StorageDriver.openFile`) is read twice: the second read comes from the page
 *   cache, cheaper than writing a copy;
 * - a remote store (S3) is read once: the verification pass tees the object into a private spool file under
 *   `spoolRoot` (0600 in a 0700 directory, created exclusively, removed by `remove`), which the decode pass reads;
 *   it costs the object's size on the web server's disk for the download's duration. Without room for it (size +
 *   512 MiB) the object is downloaded twice instead.
 * Either way the decode pass hashes what it reads again (`createReadPipeline`), so an object changed between the two
 * reads fails the download before its end.
 */
export async function verifyObject(driver: StorageDriver, key: string, expected: { sha256: string; bytes: number }, spoolRoot: string): Promise<VerifiedObject> {
  const reread: VerifiedObject = { reopen: () => driver.get(key), spooled: false, remove: async () => undefined };
  if (driver.openFile !== undefined) {
    // Positional reads of the file (verifyStoredAt), not a stream.
    await verifyStoredAt(driver, key, expected.sha256, expected.bytes);
    return reread;
  }
  await mkdir(spoolRoot, { recursive: true, mode: 0o700 });
  const free = await statfs(spoolRoot).then(
    (s) => s.bavail * s.bsize,
    () => 0,
  );
  if (free < expected.bytes + SPOOL_HEADROOM_BYTES) {
    await verifyStored(await driver.get(key), expected.sha256, expected.bytes);
    return reread;
  }
  const folder = await mkdtemp(path.join(spoolRoot, 'lifeboat-download-'));
  const file = path.join(folder, 'object');
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    const remote = await driver.get(key);
    // Owner-only and exclusive: nobody else may read or swap the spooled ciphertext.
    const fh = await open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    // Each chunk is on its way to the file before it is passed on, so once the verification has read the last byte
    // the file holds it all; no fsync: the spool is read back at once and deleted after the download.
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        fh.write(chunk).then(
          () => callback(null, chunk),
          (err: unknown) => callback(err as Error),
        );
      },
      flush(callback) {
        fh.close().then(
          () => callback(),
          (err: unknown) => callback(err as Error),
        );
      },
      destroy(err, callback) {
        remote.destroy();
        // Closing twice (after flush) is a no-op; a failed close must not hide the error that destroyed us.
        fh.close()
          .catch(() => undefined)
          .then(
            () => callback(err),
            () => callback(err),
          );
      },
    });
    remote.once('error', (err) => tee.destroy(err));
    await verifyStored(remote.pipe(tee), expected.sha256, expected.bytes);
    return { reopen: async () => fs.createReadStream(file), spooled: true, remove };
  } catch (err) {
    await remove().catch(() => undefined);
    throw err;
  }
}
