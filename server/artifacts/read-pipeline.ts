import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { codecSteps, type CodecStep } from './codec';
import { ArtifactError } from './errors';
import { assertIdentity } from './keys';
import { runStages, type ArtifactTools, type PreparedStages, type StageSpec } from './run-stages';

export interface ReadPipelineOptions {
  /** As recorded in the manifest: `none`, `zstd`, `age` or `zstd+age`. */
  codec: string;
  /** age identities (`AGE-SECRET-KEY-1…`); required when the codec includes age. Never put in argv. */
  identities: string[];
  /** The stored object's recorded sha256: checked as the bytes flow, before the output may end. */
  expectedStoredSha256: string;
  expectedStoredBytes?: number;
  /** When known (manifest v2 `raw.sha256`), the decoded stream is checked too (`RAW_CHECKSUM_MISMATCH`). */
  expectedRawSha256?: string;
  expectedRawBytes?: number;
  signal?: AbortSignal;
  tools?: ArtifactTools;
  /**
   * Where the short-lived identity file goes (mode 0600 inside a 0700 directory, removed as soon as age has
   * read it). Default: the OS temp dir; point it at a tmpfs (e.g. /dev/shm) so the key never touches a disk.
   */
  tmpDir?: string;
}

export interface ReadResult {
  rawBytes: number;
  rawSha256: string;
  storedBytes: number;
  storedSha256: string;
}

export interface ReadPipeline {
  /** The raw bytes. Errors instead of ending if a stage fails or any expected size/hash does not match. */
  stream: Readable;
  done: Promise<ReadResult>;
}

/**
 * Undoes `createWritePipeline`. The checks run while bytes flow, so by the time a mismatch is known the consumer
 * has already seen data: the stream then errors instead of ending. Use `verifyAndDecode` to refuse a bad object
 * before a single byte reaches the consumer. Throws `INVALID_OPTIONS` or `BAD_KEY` synchronously for bad options.
 */
export function createReadPipeline(stored: Readable, opts: ReadPipelineOptions): ReadPipeline {
  const steps = validateReadOptions(opts);
  const expected = {
    storedSha256: opts.expectedStoredSha256.toLowerCase(),
    rawSha256: opts.expectedRawSha256?.toLowerCase(),
  };

  const run = runStages({
    input: stored,
    prepare: () => prepareDecoders(steps, opts),
    passthrough: steps.length === 0,
    ...(opts.expectedStoredBytes !== undefined && { maxInputBytes: opts.expectedStoredBytes }),
    ...(opts.signal !== undefined && { signal: opts.signal }),
    verify: ({ input = NOTHING_READ, output }) => {
      if (opts.expectedStoredBytes !== undefined && input.bytes !== opts.expectedStoredBytes) {
        return new ArtifactError('SIZE_MISMATCH', `the stored object is ${input.bytes} bytes, expected ${opts.expectedStoredBytes}`);
      }
      if (input.sha256 !== expected.storedSha256) {
        return new ArtifactError('CHECKSUM_MISMATCH', `the stored object has sha256 ${input.sha256}, expected ${expected.storedSha256}`);
      }
      if (opts.expectedRawBytes !== undefined && output.bytes !== opts.expectedRawBytes) {
        return new ArtifactError('RAW_CHECKSUM_MISMATCH', `the decoded stream is ${output.bytes} bytes, expected ${opts.expectedRawBytes}`);
      }
      if (expected.rawSha256 !== undefined && output.sha256 !== expected.rawSha256) {
        return new ArtifactError('RAW_CHECKSUM_MISMATCH', `the decoded stream has sha256 ${output.sha256}, expected ${expected.rawSha256}`);
      }
      return undefined;
    },
  });
  const done = run.done.then(
    ({ input = NOTHING_READ, output }): ReadResult => ({
      rawBytes: output.bytes,
      rawSha256: output.sha256,
      storedBytes: input.bytes,
      storedSha256: input.sha256,
    }),
  );
  done.catch(() => undefined);
  return { stream: run.stream, done };
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;
// Reading always has an input stream, so its totals are always there; this only satisfies the shared type.
const NOTHING_READ = { bytes: 0, sha256: '' };

/** Checks everything that can be checked without reading a byte; returns the decode steps in order. */
export function validateReadOptions(opts: ReadPipelineOptions): CodecStep[] {
  const steps = codecSteps(opts.codec).reverse();
  if (!SHA256_HEX.test(opts.expectedStoredSha256)) {
    throw new ArtifactError('INVALID_OPTIONS', 'expectedStoredSha256 must be 64 hex characters');
  }
  if (opts.expectedRawSha256 !== undefined && !SHA256_HEX.test(opts.expectedRawSha256)) {
    throw new ArtifactError('INVALID_OPTIONS', 'expectedRawSha256 must be 64 hex characters');
  }
  if (steps.includes('age')) {
    if (opts.identities.length === 0) throw new ArtifactError('BAD_KEY', `codec ${opts.codec} is encrypted but no age identity was given`);
    for (const identity of opts.identities) assertIdentity(identity);
  }
  return steps;
}

async function prepareDecoders(steps: CodecStep[], opts: ReadPipelineOptions): Promise<PreparedStages> {
  const specs: StageSpec[] = [];
  let dir: string | undefined;
  const removeDir = async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const step of steps) {
      if (step === 'zstd') {
        specs.push({ label: 'zstd -d', command: opts.tools?.zstd ?? 'zstd', args: ['-d', '-c', '-q'] });
        continue;
      }
      // mkdtemp makes the directory 0700; the file is 0600 and created exclusively, so nobody else can read or
      // swap it. Not stdin (that carries the data) and not /dev/fd/N (Node's child pipes are sockets, which
      // age cannot open by path).
      dir = await mkdtemp(path.join(opts.tmpDir ?? tmpdir(), 'lifeboat-age-'));
      const file = path.join(dir, 'identities.txt');
      await writeFile(file, `${opts.identities.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
      specs.push({ label: 'age -d', command: opts.tools?.age ?? 'age', args: ['-d', '-i', file] });
    }
  } catch (err) {
    await removeDir().catch(() => undefined);
    throw err;
  }
  const ageIndex = specs.findIndex((spec) => spec.label === 'age -d');
  return {
    specs,
    cleanup: removeDir,
    onSpawned: (stage, index) => {
      // age reads its identities before it can decrypt a byte, so its first output means the file can go now
      // rather than at the end of a long restore. The cleanup after exit catches every other path.
      if (index === ageIndex) stage.child.stdout.once('data', () => void removeDir().catch(() => undefined));
    },
  };
}
