import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { codecSteps, type CodecStep } from './codec';
import { ArtifactError } from './errors';
import { assertIdentity } from './keys';
import { watchBytesWritten } from './proc-io';
import { runStages, type ArtifactTools, type PreparedStages, type RunTotals, type StageSpec } from './run-stages';

// How often the last decoder's output, going straight into the engine's tool, is looked at for a progress bar.
const PROGRESS_WATCH_MS = 500;

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
   * Where the short-lived identity file goes (mode 0600 inside a 0700 directory, removed once age has
   * read it, or when it exits if its output goes straight into another tool). Default: the OS temp dir; point it at a tmpfs (e.g. /dev/shm) so the key never touches a disk.
   */
  tmpDir?: string;
  /** Called with the stored bytes read so far, once per chunk. */
  onStoredBytes?: (bytes: number) => void;
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
  const expectedRawSha256 = opts.expectedRawSha256?.toLowerCase();

  const run = runStages({
    input: stored,
    prepare: () => prepareDecoders(steps, opts, { direct: false }),
    passthrough: steps.length === 0,
    ...(opts.expectedStoredBytes !== undefined && { maxInputBytes: opts.expectedStoredBytes }),
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.onStoredBytes !== undefined && { onInputBytes: opts.onStoredBytes }),
    verify: (totals) => {
      const { output } = totals;
      const storedProblem = checkStored(totals, opts);
      if (storedProblem !== undefined) return storedProblem;
      if (opts.expectedRawBytes !== undefined && output.bytes !== opts.expectedRawBytes) {
        return new ArtifactError('RAW_CHECKSUM_MISMATCH', `the decoded stream is ${output.bytes} bytes, expected ${opts.expectedRawBytes}`);
      }
      if (expectedRawSha256 !== undefined && output.sha256 !== expectedRawSha256) {
        return new ArtifactError('RAW_CHECKSUM_MISMATCH', `the decoded stream has sha256 ${output.sha256}, expected ${expectedRawSha256}`);
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

/** Size and sha256 of what was read, against the recorded ones. */
function checkStored({ input = NOTHING_READ }: RunTotals, opts: ReadPipelineOptions): ArtifactError | undefined {
  if (opts.expectedStoredBytes !== undefined && input.bytes !== opts.expectedStoredBytes) {
    return new ArtifactError('SIZE_MISMATCH', `the stored object is ${input.bytes} bytes, expected ${opts.expectedStoredBytes}`);
  }
  const want = opts.expectedStoredSha256.toLowerCase();
  if (input.sha256 !== want) {
    return new ArtifactError('CHECKSUM_MISMATCH', `the stored object has sha256 ${input.sha256}, expected ${want}`);
  }
  return undefined;
}

export interface DecodeIntoOptions extends Omit<ReadPipelineOptions, 'expectedRawSha256' | 'expectedRawBytes'> {
  /** Called with the decoded bytes written into the sink so far, every half second or so. */
  onRawBytes?: (bytes: number) => void;
}

export interface DecodeIntoResult {
  /** What the read through this process counted and hashed; undefined when the first decoder read a file itself. */
  storedBytes: number | undefined;
  storedSha256: string | undefined;
  /** zstd's own count of what it decompressed; undefined for a codec without zstd. */
  rawBytes: number | undefined;
}

/**
 * The restore mirror of the direct write path: `stored` → age -d → zstd -d → `sink`, where `sink` is backed by a
 * file descriptor (a tool's stdin, e.g. pg_restore's, see `Engine.restoreFrom`) and the last decoder writes straight
 * into it, so the decoded stream (by far the largest) never passes through this process. Only the stored bytes do,
 * hashed on the way: `done` resolves only if every decoder exited 0 AND the stored object had the recorded size and
 * sha256, which is known only once the last byte was read, after the sink's tool may have consumed everything. So
 * the sink's owner must not accept its result before `done` resolves (and must undo it if `done` rejects).
 *
 * No raw sha256 is taken (nothing here sees those bytes): zstd's content checksum (zstd -d fails on a mismatch) and
 * age's authentication vouch for the decoded stream instead. The sink is closed here once the last decoder holds
 * it, or when the run fails before that. Throws `INVALID_OPTIONS` for a codec with no decoder (`none`).
 */
export function decodeInto(stored: Readable | StoredFile, sink: Writable, opts: DecodeIntoOptions): Promise<DecodeIntoResult> {
  const steps = validateReadOptions(opts);
  if (steps.length === 0) throw new ArtifactError('INVALID_OPTIONS', `codec ${opts.codec} has nothing to decode: pipe the stream itself`);
  const file = 'inputFd' in stored ? stored : undefined;
  const run = runStages({
    ...(file === undefined ? { input: stored as Readable } : { inputFd: file.inputFd }),
    sink,
    prepare: () => prepareDecoders(steps, opts, { direct: true }),
    passthrough: false,
    ...(opts.expectedStoredBytes !== undefined && { maxInputBytes: opts.expectedStoredBytes }),
    ...(opts.signal !== undefined && { signal: opts.signal }),
    ...(opts.onStoredBytes !== undefined && { onInputBytes: opts.onStoredBytes }),
    // Nothing here read a file the first decoder read itself: its caller checks it (verifyAndDecodeInto).
    verify: (totals) => (file === undefined ? checkStored(totals, opts) : undefined),
  });
  const done = run.done.then(({ input, exits }): DecodeIntoResult => {
    const zstd = steps.indexOf('zstd');
    return { storedBytes: input?.bytes, storedSha256: input?.sha256, rawBytes: zstd < 0 ? undefined : zstdOutputBytes(exits[zstd]?.stderrTail ?? '') };
  });
  done.catch(() => undefined);
  return done;
}

/**
 * A stored object as an open local file (its descriptor) that the first decoder reads itself, from the descriptor's
 * current offset (see `RunStagesOptions.inputFd`); lent, never closed here.
 */
export interface StoredFile {
  inputFd: number;
}

/** What `zstd -d -v` reports when it finishes, e.g. `/*stdin*\\ : 1021500000 bytes`. Undefined if no such line. */
export function zstdOutputBytes(stderr: string): number | undefined {
  const last = [...stderr.matchAll(/:\s*(\d+) bytes\s*$/gm)].at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
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

async function prepareDecoders(
  steps: CodecStep[],
  opts: Pick<ReadPipelineOptions, 'identities' | 'tools' | 'tmpDir'> & { onRawBytes?: (bytes: number) => void },
  { direct }: { direct: boolean },
): Promise<PreparedStages> {
  const specs: StageSpec[] = [];
  let dir: string | undefined;
  const removeDir = async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const step of steps) {
      if (step === 'zstd') {
        // Writing into a sink, nothing here counts the decoded bytes: -v makes zstd report them (`: N bytes`).
        specs.push({ label: 'zstd -d', command: opts.tools?.zstd ?? 'zstd', args: ['-d', '-c', ...(direct ? ['-v', '--no-progress'] : ['-q'])] });
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
      // rather than at the end of a long restore. The cleanup after exit catches every other path. When age
      // writes straight into zstd there is no such sign: /proc's write count also counts the Go runtime's own
      // writes (its poller's eventfd), seen before age had opened the file on a loaded machine (the file went, age
      // failed "no such file"), so the file stays until age exits.
      const removeNow = () => void removeDir().catch(() => undefined);
      if (index === ageIndex && stage.stdout !== null) stage.stdout.once('data', removeNow);
      if (direct && index === specs.length - 1 && opts.onRawBytes !== undefined) {
        const onRawBytes = opts.onRawBytes;
        watchBytesWritten(stage.child.pid, PROGRESS_WATCH_MS, stage.exited, (bytes) => {
          onRawBytes(bytes);
        });
      }
    },
  };
}
