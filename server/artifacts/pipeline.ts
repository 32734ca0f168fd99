/**
 * The artifact pipeline: how raw engine bytes become stored bytes and back.
 *
 *   write:  raw ─sha256─▶ zstd -<level> -T<threads> -c -q ══▶ age -r <recipient>… ─sha256─▶ stored
 *   direct: engine's tool ══▶ zstd -<level> -T<threads> -c -vv ══▶ age … ─▶ stored   (══ an OS pipe, no Node hop;
 *           see StageProducer in run-stages.ts and Engine.backupTo)
 *   read:   stored ─sha256─▶ age -d -i <identity file> ══▶ zstd -d -c -q ─sha256─▶ raw
 *   direct: stored ─sha256─▶ age -d -i <identity file> ══▶ zstd -d -c -v ══▶ engine's tool   (no raw sha256; see
 *           decodeInto in read-pipeline.ts and Engine.restoreFrom)
 *
 * Adjacent tools always share an OS pipe (══); only the ends (─) cross Node. The sha256 of the stored bytes on the
 * worker's backup path is the storage driver's (`hashStored: false`). Into a driver with `putFromTool` (local disk),
 * the last tool writes the stored bytes straight into the driver's temp file too (`sinkFd`), which hashes it by
 * reading it back once every stage exited 0.
 * Both tools run as child processes (argv arrays, no shell) with back-pressure end to end; run-stages.ts holds
 * the failure and cancellation rules, docs/FORMAT.md the format and how to undo it by hand.
 *
 * Why the age CLI and not the `age-encryption` JS package: on 500 MiB the CLI encrypts at 550-1040 MiB/s and the
 * JS package at 95-115 MiB/s on the same machine (age-throughput.bench.ts); in JS, age would be the bottleneck.
 */
export { createWritePipeline, DEFAULT_COMPRESSION_LEVEL, DEFAULT_COMPRESSION_THREADS } from './write-pipeline';
export type { WritePipeline, WritePipelineOptions, WriteResult } from './write-pipeline';
export { createReadPipeline, decodeInto, validateReadOptions } from './read-pipeline';
export type { DecodeIntoOptions, DecodeIntoResult, ReadPipeline, ReadPipelineOptions, ReadResult } from './read-pipeline';
export { verifyAndDecode, verifyAndDecodeInto, verifyStored, verifyStoredAt } from './verify';
export type { StoredObjectSource, VerifyAndDecodeIntoOptions, VerifyAndDecodeOptions, VerifyOptions } from './verify';
export type { ArtifactTools } from './run-stages';
