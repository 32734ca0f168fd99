import type { Readable, Writable } from 'node:stream';

import type { AnyEngine, EngineBackupObject, EngineBackupResult, EngineProgress, EngineRunOptions } from '@/server/engines/engine';
import type { PutResult, StorageDriver } from '@/server/storage/driver';
import { createWritePipeline, type WritePipelineOptions, type WriteResult } from '@/server/artifacts/pipeline';
import type { ArtifactTools, StageProducer } from '@/server/artifacts/run-stages';
import { allOrRootCause } from '@/server/artifacts/settle';
import { maybeThrottle, throttleBps } from '../runner/fault-injection';

export interface ProduceArtifactInput {
  engine: AnyEngine;
  config: unknown;
  secrets: unknown;
  /** One object of a multi-object backup (`engine.backupObjects`): produced instead of `engine.backup(config, secrets)`. */
  object?: EngineBackupObject;
  driver: StorageDriver;
  key: string;
  /** zstd level, or null to store the engine's bytes uncompressed (the engine then compresses its own output). */
  compressionLevel: number | null;
  /** age recipients; empty stores the bytes unencrypted. */
  recipients: string[];
  signal?: AbortSignal;
  onProgress?: (p: EngineProgress) => void;
  /** zstd and age binaries; default from PATH (tests pass broken ones). */
  tools?: ArtifactTools;
}

export interface ProducedArtifact {
  stored: PutResult;
  engine: EngineBackupResult;
  codec: string;
  /** What the engine produced; undefined only if zstd's report of it could not be read. */
  rawBytes: number | undefined;
  /** Undefined on the direct path (engine → zstd): see produceArtifact. */
  rawSha256: string | undefined;
}

/**
 * engine → zstd → age → storage driver (which hashes what it stores), all streaming with back-pressure; zstd writes
 * straight into age's stdin (an OS pipe), so only the stored bytes pass through Node, hashed once, by the driver.
 * Resolves only when every stage exited cleanly and the counts agree; any failure rejects and the driver leaves
 * nothing under the key. Shared by the backup worker and the benchmark.
 *
 * When the output is compressed and the engine can write into a descriptor (`backupTo`), the engine's tool writes
 * straight into zstd's stdin: the raw stream, the biggest by far, never passes through Node (on a 2-core worker that
 * hop plus its hash cost ~2 CPU-seconds per GB, i.e. 10-30% of the backup's wall time). The raw size is then zstd's
 * own count and no raw sha256 is taken here; the decoded stream stays protected by zstd's frame checksum and age's
 * authentication, and the verify job records the raw sha256 the first time it decodes the point.
 *
 * When the driver can hand out a file descriptor (`putFromTool`: local disk), the last tool (age, or zstd when not
 * encrypting) writes straight into the object's temporary file, so the stored bytes skip Node too; the driver hashes
 * them by reading the file back once every stage exited 0 (see `storeArtifact`).
 */
export async function produceArtifact(input: ProduceArtifactInput): Promise<ProducedArtifact> {
  const compressed = input.compressionLevel !== null;
  const runOptions = { signal: input.signal, onProgress: input.onProgress, compress: !compressed };
  const pipelineOptions = {
    // -T0 (one zstd thread per core), as an operator's own pipeline would: measured ~15% faster than -T1 on the
    // pgbench benchmark even with pg_dump on the same 2 cores.
    compression: input.compressionLevel === null ? null : { level: input.compressionLevel, threads: 0 },
    recipients: input.recipients,
    signal: input.signal,
    ...(input.tools !== undefined && { tools: input.tools }),
    // The driver's put hashes what it stores: that sha256 is the one recorded, and hashing the same bytes a second
    // time in the pipeline's tap cost ~0.4 CPU-s per stored GB. The byte counts of both ends are still compared.
    hashStored: false,
  };

  const { object, engine: eng } = input;
  const backupTo =
    object !== undefined
      ? object.backupTo?.bind(object)
      : eng.backupTo === undefined
        ? undefined
        : (sink: Writable, options: EngineRunOptions) => eng.backupTo!(input.config, input.secrets, sink, options);
  if (compressed && backupTo !== undefined) {
    let engineDone: Promise<EngineBackupResult> | undefined;
    const producer: StageProducer = {
      start: (sink) => {
        const started = backupTo(sink, runOptions);
        engineDone = started.done;
        return started;
      },
    };
    const [stored, piped] = await allOrRootCause(storeArtifact(input, producer, pipelineOptions));
    // The pipeline only ends after the engine's done resolved, so this is settled (and fulfilled) by now.
    if (engineDone === undefined) throw new Error('the engine never started; nothing was recorded');
    const engine = await engineDone;
    checkStored(stored, piped, input.object !== undefined);
    if (piped.rawBytes === 0 && input.object === undefined) throw new Error('the dump is empty; nothing was recorded');
    return { stored, engine: { ...engine, ...(piped.rawBytes !== undefined && { bytes: piped.rawBytes }) }, codec: piped.codec, rawBytes: piped.rawBytes, rawSha256: undefined };
  }

  const backup = object !== undefined ? object.backup(runOptions) : eng.backup(input.config, input.secrets, runOptions);
  // When one link fails the others report CANCELLED; allOrRootCause surfaces the failure that started it.
  const [storing, piping] = storeArtifact(input, backup.stream, pipelineOptions);
  const [stored, engine, piped] = await allOrRootCause([storing, backup.done, piping]);
  checkStored(stored, piped, input.object !== undefined);
  if (piped.rawBytes === 0 && input.object === undefined) throw new Error('the dump is empty; nothing was recorded');
  if (piped.rawBytes !== engine.bytes) {
    throw new Error(`the pipeline read ${piped.rawBytes} bytes but the engine produced ${engine.bytes}; nothing was recorded`);
  }
  return { stored, engine, codec: piped.codec, rawBytes: piped.rawBytes, rawSha256: piped.rawSha256 };
}

/**
 * The pipeline into the driver: the last tool writes into the driver's file when the driver offers one
 * (`putFromTool`) and there is a tool at all; otherwise the stored bytes stream through Node into `put` (S3, plain
 * artifacts, and the throttled fault-injection runs, whose throttle sits on that stream). Returns the driver's
 * promise and the pipeline's, for `allOrRootCause`.
 */
function storeArtifact(input: ProduceArtifactInput, source: Readable | StageProducer, options: WritePipelineOptions): [Promise<PutResult>, Promise<WriteResult>] {
  const putOptions = { signal: input.signal, overwrite: true };
  const hasTool = options.compression !== null || options.recipients.length > 0;
  const putFromTool = hasTool && throttleBps() === undefined ? input.driver.putFromTool?.bind(input.driver) : undefined;
  if (putFromTool === undefined) {
    const pipeline = createWritePipeline(source, options);
    return [input.driver.put(input.key, maybeThrottle(pipeline.stream), putOptions), pipeline.done];
  }

  let started = false;
  let settlePiped!: { resolve: (result: WriteResult) => void; reject: (err: unknown) => void };
  const piped = new Promise<WriteResult>((resolve, reject) => (settlePiped = { resolve, reject }));
  const stored = putFromTool(
    input.key,
    async (fd) => {
      const pipeline = createWritePipeline(source, { ...options, sinkFd: fd });
      started = true;
      pipeline.done.then(settlePiped.resolve, settlePiped.reject);
      await pipeline.done;
    },
    putOptions,
  );
  stored.catch((err: unknown) => {
    if (started) return;
    // Refused before the pipeline existed (a conflict, no room for the temp file): nothing else settles `piped`, and
    // an engine's stream must be told that nobody will read it, so that its tool stops.
    if (!('start' in source)) source.destroy();
    settlePiped.reject(err);
  });
  return [stored, piped];
}

/**
 * The driver's size and sha256 are what gets recorded. The pipeline counted the bytes it emitted (unless the last tool
 * wrote them into the driver's file) and, when it hashed them (never on the worker's path, see `hashStored`), the two
 * must agree too.
 */
function checkStored(stored: PutResult, piped: WriteResult, allowEmpty = false): void {
  if (stored.size === 0 && !allowEmpty) throw new Error('the stored object is empty; nothing was recorded');
  if ((piped.storedBytes !== undefined && stored.size !== piped.storedBytes) || (piped.storedSha256 !== undefined && stored.sha256 !== piped.storedSha256)) {
    throw new Error(`storage holds ${stored.size} bytes (sha256 ${stored.sha256}) but the pipeline sent ${piped.storedBytes} (${piped.storedSha256 ?? 'not hashed'}); nothing was recorded`);
  }
}
