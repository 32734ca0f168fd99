import type { Readable, Writable } from 'node:stream';

import type { z } from 'zod';

/**
 * The contract every engine (postgres, redis, files, …) implements. Engines move bytes and report progress;
 * they know nothing of runs, users, storage or the database Lifeboat keeps its records in.
 *
 * Typical backup wiring (the stream carries back-pressure from storage to the child process):
 *
 *   const { stream, done } = engine.backup(cfg, secrets, { signal, onProgress });
 *   const [stored, result] = await Promise.all([driver.put(key, stream, { signal }), done]);
 *
 * A failed dump makes `stream` error instead of ending, so a storage driver never commits a truncated or
 * empty artifact; `done` rejects with the readable reason. If the consumer destroys `stream` early, the
 * child is killed and `done` rejects with `CANCELLED`.
 */
export interface Engine<Config, Secrets, Target> {
  /** Stable identifier stored on sources, e.g. `postgres`. */
  readonly kind: string;
  /** Non-secret connection settings, safe to store in plain columns and show in the UI. */
  readonly configSchema: z.ZodType<unknown, Config>;
  /** Credentials; stored encrypted, never logged, never put in argv or job payloads. */
  readonly secretsSchema: z.ZodType<unknown, Secrets>;
  /** Where a restore goes, e.g. `{ database: "orders_restored" }`. */
  readonly restoreTargetSchema: z.ZodType<unknown, Target>;

  // Config/Secrets/Target are the schemas' *input* types: every method parses its arguments with the
  // schemas itself, so callers holding raw JSON from the database (see AnyEngine) are still safe.

  /** Checks that the source is reachable with these credentials. Never throws for connection problems. */
  probe(config: Config, secrets: Secrets, options?: EngineProbeOptions): Promise<EngineProbeResult>;

  /**
   * Starts a backup. Returns at once; bytes flow when `stream` is read. Consume `stream` and await `done`
   * together: the child blocks (back-pressure) while nobody reads, so awaiting `done` alone never settles.
   * Throws `EngineError('INVALID_CONFIG')` synchronously if config or secrets do not parse.
   */
  backup(config: Config, secrets: Secrets, options?: EngineRunOptions): EngineBackup;
  /**
   * Optional fast path of `backup`: the tool writes its output straight into `sink`, which must be backed by a file
   * descriptor (the stdin of the next tool in a pipeline), so the bytes never pass through this process. The child
   * gets its own copy of the descriptor at once; the caller closes its copy when this returns. Nothing here sees the
   * bytes, so `done` reports no `bytes` and cannot check the format's header: the consumer must not accept the
   * stream as complete before `done` resolves (the tool exited 0). Same errors and cancellation as `backup`.
   */
  backupTo?(config: Config, secrets: Secrets, sink: Writable, options?: EngineRunOptions): EngineBackupTo;

  /**
   * Restores an artifact (as produced by `backup`) from `input` into `target`, which must not exist yet.
   * On failure nothing half-restored is left behind. Rejects with an `EngineError`, or with `input`'s own
   * error if reading the artifact failed.
   */
  restore(config: Config, secrets: Secrets, input: Readable, target: Target, options?: EngineRestoreOptions): Promise<EngineRestoreResult>;

  /**
   * Optional cheap structural check of an artifact read from `input` (e.g. `pg_restore --list`): no server, no
   * credentials. Reads `input` to the end (so the caller's checksums over it complete) and resolves only if the
   * tool accepted the archive; rejects with `TOOL_FAILED`/`EMPTY_OUTPUT` (stderr tail in the message), or with
   * `input`'s own error if reading the artifact failed.
   */
  verify?(input: Readable, options?: EngineRunOptions): Promise<EngineVerifyResult>;
}

/**
 * What the registry hands out: arguments are validated at call time. (Method syntax makes parameters
 * bivariant, which is what lets a typed engine stand in here; the runtime parse is what makes it safe.)
 */
export type AnyEngine = Engine<unknown, unknown, unknown>;

export interface EngineProbeOptions {
  signal?: AbortSignal;
}

export interface EngineProbeResult {
  ok: boolean;
  /** Server version as the server reports it, when the connection worked. */
  version?: string;
  /** Why it failed, or a warning worth showing even when ok. Never contains secrets. */
  message?: string;
}

export interface EngineRunOptions {
  /**
   * Let the tool compress its own output (default true). The artifact pipeline turns this off when it compresses
   * with zstd itself, so the bytes are not compressed twice.
   */
  compress?: boolean;
  /** Aborting kills the child process; the operation rejects with `CANCELLED`. */
  signal?: AbortSignal;
  /** Called at most every few hundred milliseconds, plus once at the end. Exceptions thrown here are ignored. */
  onProgress?: (progress: EngineProgress) => void;
}

export interface EngineRestoreOptions extends EngineRunOptions {
  /** Size of the artifact when the caller knows it (storage `head`), reported as the progress estimate. */
  inputBytes?: number;
}

export interface EngineProgress {
  phase: 'backup' | 'restore' | 'verify';
  /** Artifact bytes produced (backup) or consumed (restore, verify) so far. */
  bytes: number;
  /**
   * Rough size of the whole job when cheaply known, e.g. `pg_database_size`. For a dump it is an upper bound
   * (indexes are not dumped and `-Fc` compresses), so show it as "about", not as a percentage to trust.
   */
  estimatedTotalBytes?: number;
}

export interface EngineBackup {
  /** The artifact bytes. Errors (instead of ending) if the dump fails. */
  stream: Readable;
  /** Settles once the child has exited and every byte has been handed to `stream`. */
  done: Promise<EngineBackupResult>;
}

export interface EngineBackupTo {
  /** Settles once the child has exited: resolves only if it exited 0. */
  done: Promise<EngineBackupResult>;
  /** Stops the child (e.g. because the pipeline it writes into failed). Safe to call repeatedly or after exit. */
  kill(): void;
}

export interface EngineBackupResult {
  /** Bytes emitted on `stream`; undefined after `backupTo`, where the bytes never passed through this process. */
  bytes?: number;
  durationMs: number;
  /** Artifact format, recorded in the manifest so the backup can be restored with standard tools. */
  format: string;
  serverVersion?: string;
  /** Size of the source as the server reports it (e.g. `pg_database_size`), when known. */
  sourceSizeBytes?: number;
  /** Version line of the dump tool, e.g. `pg_dump (PostgreSQL) 15.20`. */
  toolVersion?: string;
}

export interface EngineVerifyResult {
  /** Bytes read from `input`. */
  bytes: number;
  durationMs: number;
  /** Number of entries the archive lists (e.g. TOC entries of a pg_dump archive). */
  entries: number;
  /** One line for logs, e.g. `73 TOC entries, dumped from PostgreSQL 15.20`. */
  summary: string;
}

export interface EngineRestoreResult {
  /** Bytes read from `input`. */
  bytes: number;
  durationMs: number;
  /** Human-readable name of what was created, e.g. the new database's name. */
  target: string;
}

export type EngineErrorCode =
  /** Config, secrets or target failed validation. */
  | 'INVALID_CONFIG'
  /** `getEngine` was asked for a kind that does not exist. */
  | 'UNKNOWN_ENGINE'
  /** The restore target already exists; Lifeboat never restores over existing data. */
  | 'TARGET_EXISTS'
  /** Could not reach or log in to the source/target. */
  | 'CONNECTION_FAILED'
  /** Logged in, but the role lacks a privilege the operation needs (e.g. CREATEDB for a restore). */
  | 'PERMISSION_DENIED'
  /** The dump/restore tool is not installed where the worker runs. */
  | 'TOOL_NOT_FOUND'
  /** The tool exited non-zero (message carries its stderr tail). */
  | 'TOOL_FAILED'
  /** The tool "succeeded" but produced nothing usable (zero bytes, wrong header). */
  | 'EMPTY_OUTPUT'
  /** Aborted by the signal, or the consumer stopped reading. */
  | 'CANCELLED';

export class EngineError extends Error {
  override readonly name = 'EngineError';

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * Whether trying again unchanged could help. Callers map false to BullMQ's UnrecoverableError.
   * A failed tool may be a transient network error or a permanent one; we cannot tell, so we allow a retry.
   */
  get retryable(): boolean {
    return this.code === 'CONNECTION_FAILED' || this.code === 'TOOL_FAILED';
  }
}

export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}

/**
 * Parses engine input, turning a validation failure into `INVALID_CONFIG` whose message names the fields
 * and rules but never echoes the values (they may be secrets).
 */
export function parseEngineInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${where}${issue.message}`;
  });
  return throwInvalid(`${what} is invalid: ${problems.join('; ')}`);
}

function throwInvalid(message: string): never {
  throw new EngineError('INVALID_CONFIG', message);
}
