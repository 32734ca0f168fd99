import fs from 'node:fs';
import { mkdtemp, open, rm, statfs, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, pipeline, type Readable } from 'node:stream';
import type { AnyEngine, EngineProgress, EngineRestoreInput, EngineRestoreResult, EngineStoredObject } from '@/server/engines/engine';
import type { StorageDriver } from '@/server/storage/driver';
import { codecSteps } from '@/server/artifacts/codec';
import { verifyAndDecode, verifyAndDecodeInto } from '@/server/artifacts/pipeline';
import { allOrRootCause } from '@/server/artifacts/settle';

// Spooling needs the object's size free in the temp dir plus this much headroom, so a restore never fills the
// worker's disk to the last block (other runs and the OS need some too).
const SPOOL_HEADROOM_BYTES = 512 * 1024 * 1024;

export interface RestoreArtifactInput {
  engine: AnyEngine;
  config: unknown;
  secrets: unknown;
  target: unknown;
  /** The engine's restore mode (`EngineRestoreOptions.mode`); absent means its default. */
  mode?: string;
  /** The object read (`EngineRestoreOptions.object`): its role and details, e.g. which database of the point. */
  object?: EngineStoredObject;
  driver: StorageDriver;
  location: string;
  codec: string;
  storedBytes: number;
  storedSha256: string;
  rawSha256?: string | null;
  identities: string[];
  signal?: AbortSignal;
  onPhase?: (phase: 'verifying' | 'restoring') => void;
  onProgress?: (p: EngineProgress) => void;
  /** Where a remote object is spooled during verification (default: the OS temp dir). */
  spoolDir?: string;
}

/**
 * Verifies the stored object (size and sha256, one full read) before a single byte reaches the target, then reads it
 * again through age -d → zstd -d into the engine's restore. Shared by the restore worker and the benchmark.
 *
 * From a remote store (S3) the verification pass also writes the object to a private spool file (0600 in a 0700
 * directory) and the decode pass reads that file, so the object is downloaded once instead of twice (the decode pass
 * of an engine without the direct path hashes the spool again). Without room for the spool (size + headroom) it
 * downloads twice. Local disk is read twice: a second read from the page cache is cheaper than a copy.
 *
 * Direct path: when the artifact is compressed and the engine implements `restoreFrom`, the decode pass is
 * stored file ══▶ age -d ══▶ zstd -d ══▶ the engine's tool (pg_restore), connected by OS pipes: a local object
 * (`StorageDriver.openFile`) or the spool is verified through an open descriptor and that descriptor is age's stdin,
 * so neither the stored bytes (a second time) nor the decoded stream (~3× the stored one) pass through Node. A file
 * written to after the verification (its ctime moves) makes the engine drop the target; so does a remote object read
 * twice (no spool: stored → Node, hashed again → age -d) whose second read differs. The raw sha256 is not checked
 * on this path (zstd's content checksum and age's authentication vouch for the decoded bytes).
 */
export async function restoreArtifact(input: RestoreArtifactInput): Promise<EngineRestoreResult> {
  input.onPhase?.('verifying');
  const spool = input.driver.openFile !== undefined ? undefined : await openSpool(input.spoolDir ?? tmpdir(), input.storedBytes);
  // Files handed to age on the direct path, closed once the restore is over.
  const files: FileHandle[] = [];
  try {
    const openStored = spool ? spool.open(() => input.driver.get(input.location)) : () => input.driver.get(input.location);
    const readOptions = {
      codec: input.codec,
      identities: input.identities,
      expectedStoredSha256: input.storedSha256,
      expectedStoredBytes: input.storedBytes,
      signal: input.signal,
      onVerifyProgress: (bytes: number) => input.onProgress?.({ phase: 'restore', bytes }),
      // A tmpfs keeps the short-lived identity file off any disk.
      ...(fs.existsSync('/dev/shm') ? { tmpDir: '/dev/shm' } : {}),
    };
    const restoreFrom = input.engine.restoreFrom?.bind(input.engine);
    if (restoreFrom !== undefined && codecSteps(input.codec).includes('zstd')) {
      // A local object (or the spool of a remote one) is verified and then read by age itself, not copied through here.
      const openFile = input.driver.openFile?.bind(input.driver);
      const track = (fh: FileHandle) => (files.push(fh), fh);
      const openForAge = openFile !== undefined ? async () => track(await openFile(input.location)) : spool ? spool.openFile(openStored, track) : openStored;
      const decodeInto = await verifyAndDecodeInto(openForAge, {
        ...readOptions,
        onRawBytes: (bytes) => input.onProgress?.({ phase: 'restore', bytes }),
      });
      input.onPhase?.('restoring');
      return await restoreFrom(
        input.config,
        input.secrets,
        input.target,
        { connect: (stdin) => decodeInto(stdin).then((decoded) => ({ ...(decoded.rawBytes !== undefined && { bytes: decoded.rawBytes }) })) },
        { signal: input.signal, ...(input.mode !== undefined && { mode: input.mode }), ...(input.object !== undefined && { object: input.object }) },
      );
    }
    const decoded = await verifyAndDecode(openStored, { ...readOptions, expectedRawSha256: input.rawSha256 ?? undefined });
    input.onPhase?.('restoring');
    const [result] = await allOrRootCause([
      input.engine.restore(input.config, input.secrets, decoded.stream, input.target, {
        signal: input.signal,
        onProgress: input.onProgress,
        ...(input.mode !== undefined && { mode: input.mode }),
        ...(input.object !== undefined && { object: input.object }),
      }),
      decoded.done,
    ]);
    return result;
  } finally {
    await Promise.all(files.map((fh) => fh.close().catch(() => undefined)));
    await spool?.remove();
  }
}

export interface RestoreSetObject extends EngineStoredObject {
  location: string;
  codec: string;
  storedBytes: number;
  storedSha256: string;
  rawSha256: string | null;
  /** The raw bytes' file extension, e.g. `yaml`. */
  extension: string;
}

export interface RestoreSetInput extends Omit<RestoreArtifactInput, 'location' | 'codec' | 'storedBytes' | 'storedSha256' | 'rawSha256' | 'object'> {
  objects: RestoreSetObject[];
}

/**
 * A restore that reads several objects (`Engine.restoreSet`): each object is verified (size and sha256, one full
 * read) and then decoded through Lifeboat into the engine, one after the other, in the order given. The engine
 * reads one to its end before it asks for the next; a failed verification or decode fails the restore, which then
 * leaves nothing behind (the engine's rule).
 */
export async function restoreObjectSet(input: RestoreSetInput): Promise<EngineRestoreResult> {
  const restoreSet = input.engine.restoreSet?.bind(input.engine);
  if (restoreSet === undefined) throw new Error(`the ${input.engine.label} engine cannot restore ${input.objects.length} objects at once`);
  input.onPhase?.('verifying');
  let bytesBefore = 0;
  async function* inputs(): AsyncGenerator<EngineRestoreInput> {
    for (const object of input.objects) {
      const decoded = await verifyAndDecode(() => input.driver.get(object.location), {
        codec: object.codec,
        identities: input.identities,
        expectedStoredSha256: object.storedSha256,
        expectedStoredBytes: object.storedBytes,
        ...(object.rawSha256 !== null && { expectedRawSha256: object.rawSha256 }),
        signal: input.signal,
        ...(fs.existsSync('/dev/shm') ? { tmpDir: '/dev/shm' } : {}),
      });
      input.onPhase?.('restoring');
      let read = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          read += chunk.length;
          input.onProgress?.({ phase: 'restore', bytes: bytesBefore + read });
          callback(null, chunk);
        },
      });
      // An error of the decode (or of the engine destroying its input) reaches both ends.
      pipeline(decoded.stream, counted, () => undefined);
      yield { role: object.role, details: object.details, rawBytes: object.rawBytes ?? null, extension: object.extension, input: counted };
      await decoded.done;
      bytesBefore += read;
    }
  }
  return restoreSet(input.config, input.secrets, inputs(), input.target, {
    signal: input.signal,
    ...(input.mode !== undefined && { mode: input.mode }),
  });
}

interface Spool {
  /** The `openStored` for verifyAndDecode: the first call tees the remote object into the file, later ones read the file. */
  open(openRemote: () => Promise<Readable>): () => Promise<Readable>;
  /** Like `open`'s result (given it), but the calls after the first open the file itself, passed to `track` first. */
  openFile(opened: () => Promise<Readable>, track: (fh: FileHandle) => FileHandle): () => Promise<Readable | FileHandle>;
  remove(): Promise<void>;
}

/** A spool file for an object of `bytes`, or undefined when the temp dir lacks the room. */
async function openSpool(dir: string, bytes: number): Promise<Spool | undefined> {
  const free = await statfs(dir).then(
    (s) => s.bavail * s.bsize,
    () => 0,
  );
  if (free < bytes + SPOOL_HEADROOM_BYTES) return undefined;
  const folder = await mkdtemp(path.join(dir, 'lifeboat-restore-'));
  const file = path.join(folder, 'object');
  let calls = 0;
  return {
    open: (openRemote) => async () => {
      calls += 1;
      if (calls > 1) return fs.createReadStream(file);
      const remote = await openRemote();
      // Owner-only and exclusive, like the identity file: nobody else may read or swap the spooled ciphertext.
      const fh = await open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      // Each chunk is on its way to the file before it is passed on, so once the verification has read the last
      // byte the file holds it all; no fsync: the spool is read back at once and deleted after the restore.
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          fh.write(chunk).then(
            () => callback(null, chunk),
            (err: unknown) => callback(err as Error),
          );
        },
        flush(callback) {
          fh.close().then(() => callback(), (err: unknown) => callback(err as Error));
        },
        destroy(err, callback) {
          remote.destroy();
          // Closing twice (after flush) is a no-op; a failed close must not hide the error that destroyed us.
          fh.close()
            .catch(() => undefined)
            .then(() => callback(err), () => callback(err));
        },
      });
      remote.once('error', (err) => tee.destroy(err));
      return remote.pipe(tee);
    },
    openFile: (opened, track) => {
      let first = true;
      return async () => {
        if (!first) return track(await open(file, 'r'));
        first = false;
        return opened();
      };
    },
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}
