import type { Readable } from 'node:stream';

import { codecOf, type Codec } from './codec';
import { ArtifactError } from './errors';
import { assertRecipient } from './keys';
import { runStages, type ArtifactTools, type StageProducer, type StageSpec } from './run-stages';

// zstd's own default: most of the ratio of the slow levels at several times their speed.
export const DEFAULT_COMPRESSION_LEVEL = 3;
// Levels 20-22 need --ultra and up to gigabytes of window memory in both the writer and every future restorer.
const MAX_COMPRESSION_LEVEL = 19;
// One worker thread (~250 MB/s at level 3 on dump-like text) outpaces a typical pg_dump; -T2 gained ~30% but
// takes a second core from pg_dump and age on a small worker. Callers with cores to spare pass `threads`.
export const DEFAULT_COMPRESSION_THREADS = 1;
// More threads than this buys nothing on a worker and each costs a few MB of buffers per run.
const MAX_COMPRESSION_THREADS = 64;

export interface WritePipelineOptions {
  /** null: store uncompressed. */
  compression: { level: number; threads?: number } | null;
  /** age X25519 public keys (`age1…`); any one of the matching identities can decrypt. Empty: store unencrypted. */
  recipients: string[];
  /** Aborting kills every stage; the stream errors and `done` rejects with `CANCELLED`. */
  signal?: AbortSignal;
  tools?: ArtifactTools;
  /**
   * Hash the stored bytes here (default true). Pass false when the consumer is a storage driver, whose `put` hashes
   * what it stores anyway: that hash is then the one authority on the object, `storedSha256` is undefined, and
   * hashing the same bytes twice in one process only costs CPU (~0.4 CPU-s per stored GB).
   */
  hashStored?: boolean;
  /**
   * A descriptor for the last tool to write the stored bytes into (a storage driver's temp file, see
   * `StorageDriver.putFromTool`), so they never pass through this process either. Lent, never closed here. `stream`
   * then carries no bytes: it ends (and `done` resolves) once every stage exited 0; `storedBytes`/`storedSha256` are
   * undefined (the driver, which holds the file, counts and hashes them). Needs at least one stage.
   */
  sinkFd?: number;
}

export interface WriteResult {
  /**
   * Bytes the engine produced. With a producer they never pass through here: zstd's own count, or undefined when
   * there is no zstd stage or its report could not be read.
   */
  rawBytes: number | undefined;
  /** sha256 of what the engine produced; undefined with a producer (nothing here saw those bytes). */
  rawSha256: string | undefined;
  /** Bytes emitted on `stream` (what the storage driver stores); undefined with `sinkFd` (nothing here saw them). */
  storedBytes: number | undefined;
  /** Undefined with `hashStored: false` or `sinkFd`. */
  storedSha256: string | undefined;
  codec: Codec;
}

export interface WritePipeline {
  /** The stored bytes. Errors (never ends cleanly) unless every stage exited 0. */
  stream: Readable;
  /** Settles once every stage has exited. Consume `stream` and await `done` together. */
  done: Promise<WriteResult>;
}

/**
 * Compresses and/or encrypts `input` on the way to storage. Returns at once; bytes flow when `stream` is read.
 * Throws `INVALID_OPTIONS` or `BAD_KEY` synchronously for bad settings, before any process starts.
 *
 * If `input` errors, `stream` errors with that same error (an engine's failure keeps its own code); if the
 * pipeline fails or is cancelled, `input` is destroyed so that its producer stops too.
 */
export function createWritePipeline(input: Readable | StageProducer, opts: WritePipelineOptions): WritePipeline {
  const producer = 'start' in input ? input : undefined;
  const specs: StageSpec[] = [];
  if (opts.compression !== null) {
    const level = opts.compression.level;
    const threads = opts.compression.threads ?? DEFAULT_COMPRESSION_THREADS;
    if (!Number.isInteger(level) || level < 1 || level > MAX_COMPRESSION_LEVEL) {
      throw new ArtifactError('INVALID_OPTIONS', `compression level must be an integer from 1 to ${MAX_COMPRESSION_LEVEL}, got ${level}`);
    }
    if (!Number.isInteger(threads) || threads < 0 || threads > MAX_COMPRESSION_THREADS) {
      throw new ArtifactError('INVALID_OPTIONS', `compression threads must be an integer from 0 (one per core) to ${MAX_COMPRESSION_THREADS}, got ${threads}`);
    }
    // With a producer, zstd is the only one to see the raw bytes: -vv makes it report their exact count at the end
    // (`(N B => M B, …)`, the last stderr line but one); otherwise -q keeps stderr for errors alone.
    const verbosity = producer === undefined ? ['-q'] : ['-vv', '--no-progress'];
    specs.push({ label: 'zstd', command: opts.tools?.zstd ?? 'zstd', args: [`-${level}`, `-T${threads}`, '-c', ...verbosity] });
  }
  for (const recipient of opts.recipients) assertRecipient(recipient);
  if (opts.recipients.length > 0) {
    // Public keys are fine in argv (anyone may see them); identities never go there.
    specs.push({ label: 'age', command: opts.tools?.age ?? 'age', args: opts.recipients.flatMap((recipient) => ['-r', recipient]) });
  }
  const codec = codecOf({ compressed: opts.compression !== null, encrypted: opts.recipients.length > 0 });

  if (producer !== undefined && specs.length === 0) {
    throw new ArtifactError('INVALID_OPTIONS', 'a producer writes into the first tool; with neither compression nor encryption, pipe a stream instead');
  }
  if (opts.sinkFd !== undefined && specs.length === 0) {
    throw new ArtifactError('INVALID_OPTIONS', 'a sink descriptor is written by the last tool; with neither compression nor encryption, store the stream instead');
  }
  const run = runStages({
    ...(producer === undefined ? { input: input as Readable } : { producer }),
    prepare: () => Promise.resolve({ specs }),
    passthrough: specs.length === 0,
    hashOutput: opts.hashStored !== false,
    ...(opts.sinkFd !== undefined && { sinkFd: opts.sinkFd }),
    ...(opts.signal !== undefined && { signal: opts.signal }),
  });
  const done = run.done.then(
    (totals): WriteResult => ({
      rawBytes: totals.input?.bytes ?? (opts.compression === null ? undefined : zstdInputBytes(totals.exits[0]?.stderrTail ?? '')),
      rawSha256: totals.input?.sha256,
      storedBytes: opts.sinkFd === undefined ? totals.output.bytes : undefined,
      storedSha256: (opts.hashStored === false && specs.length > 0) || opts.sinkFd !== undefined ? undefined : totals.output.sha256,
      codec,
    }),
  );
  done.catch(() => undefined);
  return { stream: run.stream, done };
}

/**
 * The input size zstd -v(v) reports when it finishes, e.g. `/*stdin*\\ :  0.93%   (980500000 B => 9100000 B, …)`
 * (zstd ≥ 1.5; older releases print `(980500000 => 9100000 bytes, …)`). Undefined if no such line is found.
 */
export function zstdInputBytes(stderr: string): number | undefined {
  const matches = [...stderr.matchAll(/\(\s*(\d+)\s*(?:B\s*)?=>\s*(\d+)\s*(?:B|bytes)\b/g)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
}
