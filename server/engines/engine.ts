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
export interface Engine<Config, Secrets, Target> extends EngineDefinition<Config, Secrets, Target> {
  // Config/Secrets/Target are the schemas' *input* types: every method parses its arguments with the
  // schemas itself, so callers holding raw JSON from the database (see AnyEngine) are still safe.

  /**
   * Optional early check of a restore target, called by the restore verb when the restore is *requested* (the
   * worker's `restore` still refuses an existing target on its own). Resolves if the target looks usable for
   * `options.mode`; rejects with `TARGET_EXISTS` (it exists already, in a mode that creates it), `INVALID_CONFIG`
   * (target, config, secrets or mode do not parse, the target is a name the engine never restores into, or a mode
   * that replaces an existing target finds none), `AUTH_FAILED`, `PERMISSION_DENIED` or `CONNECTION_FAILED`.
   * Creates nothing.
   */
  checkRestoreTarget?(config: Config, secrets: Secrets, target: Target, options?: EngineRestoreCheckOptions): Promise<void>;

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
   * Restores an artifact (as produced by `backup`) from `input` into `target`, which must not exist yet in the
   * default mode; a destructive mode (`options.mode`) replaces an existing target and must leave it as it was on
   * failure. On failure nothing half-restored is left behind. Rejects with an `EngineError`, or with `input`'s own
   * error if reading the artifact failed.
   */
  restore(config: Config, secrets: Secrets, input: Readable, target: Target, options?: EngineRestoreOptions): Promise<EngineRestoreResult>;

  /**
   * Optional fast path of `restore`, the mirror of `backupTo`: once the target exists and the tool runs, the engine
   * calls `source.connect(stdin)` with the tool's stdin, backed by a file descriptor, and the caller connects the
   * last tool of its pipeline to it (zstd -d writes straight into pg_restore), so the decoded bytes never pass
   * through this process. The caller takes over `stdin` (it closes this process's copy once its tool holds the
   * descriptor). The promise `connect` returns is the caller's verdict on the bytes it fed, known only after the
   * tool may have read them all (the stored object's sha256 is checked at its end): the restore resolves only if
   * the tool exited 0 AND that verdict resolved; if it rejects, the tool is killed and the target dropped as on any
   * failure, and the restore rejects with the verdict's error (or the tool's, if the verdict is only a
   * cancellation because the tool stopped reading). Nothing here sees the bytes: `bytes` in the result is what
   * the verdict reports, and progress is the caller's to report. Same target rules, errors and cancellation as `restore`.
   */
  restoreFrom?(config: Config, secrets: Secrets, target: Target, source: EngineRestoreSource, options?: EngineRestoreOptions): Promise<EngineRestoreResult>;

  /**
   * Optional cheap structural check of an artifact read from `input` (e.g. `pg_restore --list`): no server, no
   * credentials. Reads `input` to the end (so the caller's checksums over it complete) and resolves only if the
   * tool accepted the archive; rejects with `TOOL_FAILED`/`EMPTY_OUTPUT` (stderr tail in the message), or with
   * `input`'s own error if reading the artifact failed.
   */
  verify?(input: Readable, options?: EngineRunOptions): Promise<EngineVerifyResult>;

  /**
   * Optional: a backup made of several objects (one dump per database plus the globals, a command's output files).
   * Without it the point holds one object, role `data`, made by `backup`/`backupTo`. The caller pulls the objects one
   * at a time and stores each completely (every stage exited 0, sizes agree) before it asks for the next; it records
   * the point only once every object and then the manifest are stored, and if anything fails it stops iterating
   * (`return()` on the iterator: the engine must then stop its tools and remove any scratch files). An iterator that
   * yields nothing fails the run (`EMPTY_OUTPUT`). Roles are unique within a point and match `OBJECT_ROLE_PATTERN`.
   * Throws/rejects with `EngineError`s as `backup` does.
   */
  backupObjects?(config: Config, secrets: Secrets, options?: EngineRunOptions): AsyncIterable<EngineBackupObject>;

  /**
   * Optional: which objects of a point a restore into `target` reads, in order (roles from `objects`). Without it a
   * restore reads the point's only object, or the one with role `data`. Rejects (throws) `INVALID_CONFIG` when the
   * target names an object the point does not hold (e.g. `{ from: "orders" }` of a point without that database).
   * The request verb calls it too, so a bad choice is refused when the restore is requested.
   */
  restoreObjects?(config: Config, target: Target, objects: readonly EngineStoredObject[]): string[];

  /**
   * Optional: a restore that reads several objects at once (a command's output files into `{inputDir}`), called
   * instead of `restore` when `restoreObjects` chose more than one. `inputs` yields each object's decoded bytes in
   * that order; the engine must read each `input` to its end (or destroy it) before pulling the next. Same target
   * rules, errors and cancellation as `restore`.
   */
  restoreSet?(config: Config, secrets: Secrets, inputs: AsyncIterable<EngineRestoreInput>, target: Target, options?: EngineRestoreOptions): Promise<EngineRestoreResult>;

  /**
   * Optional: stops what a restore left running in THIS process (a scratch server), named by the restore's
   * `EngineRestoreResult.result` as the run stored it. Resolves true if it stopped something, false if this process
   * runs nothing of that result (another worker's, stopped already, expired, died on its own). Idempotent; never
   * stops anything the result does not name exactly (a port reused by a later instance is left alone).
   */
  stopRestored?(result: Record<string, unknown>): Promise<boolean>;
}

/** Roles of a point's objects: lowercase letters, digits, dots, dashes, underscores; also a file-name part. */
export const OBJECT_ROLE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** One object of a multi-object backup, as `Engine.backupObjects` yields it. */
export interface EngineBackupObject {
  /** Unique within the point, matches `OBJECT_ROLE_PATTERN`: e.g. `db.orders`, `globals`, `file.etcd.db`, `stdout`. */
  readonly role: string;
  /** File extension of this object's raw bytes (as `EngineArtifact.extension`), e.g. `pgdump`, `sql`, `yaml`. */
  readonly extension: string;
  /** Plain JSON describing the object (e.g. `{ database: "orders" }`), kept in the catalog and the manifest. */
  readonly details?: Record<string, unknown>;
  /**
   * The manifest's one-line restore command for this object, as `EngineArtifact.restoreHint` (which is used when
   * this is absent); e.g. `psql -f` for a globals object of an engine whose main artifact is a `pg_restore` archive.
   */
  restoreHint?(input: { file: string; decode: string }): string | null;
  /** Starts producing the bytes, exactly as `Engine.backup` (the config and secrets are the ones given to `backupObjects`). */
  backup(options?: EngineRunOptions): EngineBackup;
  /** Optional fast path, exactly as `Engine.backupTo`. */
  backupTo?(sink: Writable, options?: EngineRunOptions): EngineBackupTo;
}

/** A stored object of a point, as restore-time choices see it. */
export interface EngineStoredObject {
  readonly role: string;
  readonly details: Record<string, unknown>;
  /** Raw (decoded) size when known. */
  readonly rawBytes?: number | null;
}

/** One object's decoded bytes for `Engine.restoreSet`. */
export interface EngineRestoreInput extends EngineStoredObject {
  readonly extension: string;
  readonly input: Readable;
}

/**
 * Everything about an engine's kind that is not moving bytes: the schemas the rest of Lifeboat parses with, the
 * manifest's file extension and restore hint, the dashboard's forms, backup types and restore modes. Code outside
 * `server/engines/<kind>/` reads these instead of naming a kind. `engineInfo` (engine-info.ts) turns it into the
 * serialisable shape `GET /api/v1/engines` sends to the dashboard.
 */
export interface EngineDefinition<Config = unknown, Secrets = unknown, Target = unknown> {
  /** Stable identifier stored on sources and recovery points, e.g. `postgres`. Lowercase letters, digits, dashes. */
  readonly kind: string;
  /** Shown in the dashboard, e.g. `PostgreSQL`. */
  readonly label: string;
  /** One line under the new-source form's title, e.g. how Lifeboat reaches the source. */
  readonly description: string;
  /** Non-secret connection settings, safe to store in plain columns and show in the UI. An object schema. */
  readonly configSchema: z.ZodType<unknown, Config>;
  /** Credentials; stored encrypted, never logged, never put in argv or job payloads. An object schema. */
  readonly secretsSchema: z.ZodType<unknown, Secrets>;
  /** Where a restore goes, e.g. `{ database: "orders_restored" }`. The restore verb parses requests with it. */
  readonly restoreTargetSchema: z.ZodType<unknown, Target>;
  /** Values each schema must accept (the conformance suite checks that they parse). Never real credentials. */
  readonly examples: { readonly config: Config; readonly secrets: Secrets; readonly restoreTarget: Target };
  readonly artifact: EngineArtifact;
  /**
   * The new-source form, in display order: one field per key of `configSchema` and `secretsSchema` (the form sends
   * them as one flat object; keys of `secretsSchema` are sealed). Every required key has a field.
   */
  readonly form: readonly EngineFormField[];
  /** The restore dialog's fields: keys of `restoreTargetSchema`, every required one among them. */
  readonly restoreForm: readonly EngineFormField[];
  /** What a backup of this kind can be; `full` always comes first (it is what a backup request without a type gets). */
  readonly backupTypes: readonly EngineBackupType[];
  /** How a restore may land; the first is the default. Destructive modes (overwriting existing data) are marked. */
  readonly restoreModes: readonly EngineRestoreMode[];
  /**
   * The least role that may create or edit sources of this kind; absent means whoever holds `inventory:write`
   * (operators). `ADMIN` for kinds that run a program of the user's choosing on the workers (capture commands).
   */
  readonly creatorRole?: 'OPERATOR' | 'ADMIN';
  /**
   * Keys of `restoreTargetSchema` that are credentials (a replay target's `password`). The restore verbs strip them
   * from the target they store (the field keeps the marker `"(sealed)"`), seal their values to the restore request
   * and then to the run, and hand them back to the engine merged into the target only in the worker. `restoreForm`
   * fields of type `password` count as secret fields too, listed here or not.
   */
  readonly restoreSecretFields?: readonly string[];
  /**
   * The restore mode a target names itself (the API's `{ "mode": "replay", "destructive": true }`), used when the
   * request gives no `mode`; undefined means the target names none (the first mode applies). Must return one of
   * `restoreModes`, and a destructive one whenever the target asks to replace data, so the destructive rule
   * (approvals, typed confirmation) follows the target's own words.
   */
  readonly restoreModeOf?: (target: unknown) => string | undefined;
}

export type EngineBackupType = 'full' | 'incremental' | 'differential';

export interface EngineRestoreMode {
  /** Stored in the restore run's params, e.g. `new`. */
  readonly mode: string;
  readonly label: string;
  /** True if the restore overwrites or removes existing data. */
  readonly destructive: boolean;
  /** One sentence the restore dialog shows, e.g. what is created and what is never touched. */
  readonly help: string;
  /**
   * Destructive modes: the key of the restore target (one of `restoreForm`'s fields) whose value a person types again
   * to confirm, e.g. `database`. Serialisable, for the dashboard; `confirmationName` stays the rule the server checks,
   * and must return that field's value whenever it is set.
   */
  readonly confirmationField?: string;
  /**
   * Labels of `restoreForm` fields in this mode, by field name, where the form's own label would mislead, e.g.
   * in-place `{ database: "Database to replace" }` instead of "New database name". Fields not named keep theirs.
   */
  readonly fieldLabels?: Readonly<Record<string, string>>;
  /**
   * Destructive modes: the name a person must type to confirm (e.g. the target database's name), from the source's
   * config and the parsed target. The request verb refuses (422) a request whose `confirm` does not match it.
   */
  readonly confirmationName?: (config: unknown, target: unknown) => string;
  /** Destructive modes: what will be replaced, in words, for the request's risk panel ("database orders on db1:5432"). */
  readonly replaces?: (config: unknown, target: unknown) => string;
  /**
   * Destructive modes whose confirmation is made of several restore target fields, instead of `confirmationField`:
   * a template of `restoreForm` fields, `{name}` for a field's value and `{name|fallback}` for it or, when empty, what
   * the engine takes instead (lib/confirmation-template.ts), e.g. `{host}:{port|6379}`. Serialisable, for the
   * dashboard; `confirmationName` must return the filled template.
   */
  readonly confirmationTemplate?: string;
  /**
   * The `restoreForm` fields this mode uses, by name; absent means all of them. The dialog shows only these and sends
   * only their values (a Redis scratch restore has no host to replay into). Serialisable, for the dashboard.
   */
  readonly fields?: readonly string[];
}

export interface EngineArtifact {
  /** File extension of the raw stream, e.g. `pgdump`; codecs append `.zst` and `.age`. Lowercase letters and digits. */
  readonly extension: string;
  /**
   * A shell line that restores the artifact with standard tools, written into the manifest. `decode` is the
   * pipeline that prints the raw stream (e.g. `age -d -i key.txt data.pgdump.zst.age | zstd -d`); null when
   * there is no sensible one-liner.
   */
  restoreHint(input: { file: string; decode: string }): string | null;
}

export type EngineFormFieldType = 'text' | 'number' | 'password' | 'select' | 'checkbox';

/** One input of a dashboard form, rendered generically. Serialisable (it is sent to the browser as is). */
export interface EngineFormField {
  /** The key in the engine's config, secrets or restore target. */
  readonly name: string;
  /** The input's accessible name, e.g. `Host`. */
  readonly label: string;
  readonly type: EngineFormFieldType;
  readonly required?: boolean;
  /**
   * Initial value. In `restoreForm` a text default may be a template: `{config.<key>}` is the source's config
   * value (shortened from its end so the whole fits `maxLength`) and `{now}` the time as `YYYYMMDD_HHMM`.
   */
  readonly default?: string | number | boolean;
  /** Shown under the input. */
  readonly help?: string;
  /** Placeholder of a text input; for a select, the label of the empty choice (which sends nothing). */
  readonly placeholder?: string;
  /** Choices of a select. */
  readonly options?: ReadonlyArray<{ readonly value: string; readonly label: string }>;
  /** Longest accepted value in characters (a hint for the input; the schema decides). */
  readonly maxLength?: number;
  /** Fields sharing a `row` are shown side by side; `narrow` ones (a port) take little width. */
  readonly row?: string;
  readonly narrow?: boolean;
  /** A text field of several lines (a list, one element per line): a text area from the start. */
  readonly multiline?: boolean;
  /**
   * Restore forms: a select whose choices are the recovery point's own, the distinct string values of this key of its
   * objects' `details` in their order (PostgreSQL's `from`: `database`, one choice per database archive). The dialog
   * shows it only when the point offers more than one choice, the first preselected; otherwise it sends nothing.
   */
  readonly optionsFrom?: { readonly objectDetail: string };
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

export interface EngineRestoreCheckOptions extends EngineProbeOptions {
  /** The restore mode (one of the definition's `restoreModes`); absent means the first (default) mode. */
  mode?: string;
}

export interface EngineRestoreSource {
  /** Called at most once (never if creating the target failed); see `Engine.restoreFrom`. May throw: the restore then fails with that error. */
  connect(stdin: Writable): Promise<{ bytes?: number }>;
}

export interface EngineRestoreOptions extends EngineRunOptions {
  /** The restore mode (one of the definition's `restoreModes`); absent means the first (default) mode. */
  mode?: string;
  /** Size of the artifact when the caller knows it (storage `head`), reported as the progress estimate. */
  inputBytes?: number;
  /** The object being restored (`restore`/`restoreFrom` read one object; its role and details, e.g. the database). */
  object?: EngineStoredObject;
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
  /**
   * Plain JSON about what was captured, known once the tool finished (e.g. per-table row counts), merged over the
   * object's own `details` in the catalog and the manifest. Never secrets.
   */
  details?: Record<string, unknown>;
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
  /** Bytes read from `input` (after `restoreFrom`: what the source's verdict reported, 0 when it did not know). */
  bytes: number;
  durationMs: number;
  /** Human-readable name of what was created, e.g. the new database's name. */
  target: string;
  /**
   * What the run answers once finished (stored as the run's `result` with SUCCEEDED, shown by `GET /runs/{id}`), plain JSON, e.g. a
   * scratch Redis `{ address: "127.0.0.1:PORT", password, expiresAt }`. Omitted when there is nothing to add. A result
   * with `expiresAt` (ISO time) names something left running until then, which `POST /runs/{id}/stop` stops early
   * through `Engine.stopRestored` (the run's result then gets `stoppedAt`).
   */
  result?: Record<string, unknown>;
}

export type EngineErrorCode =
  /**
   * Config, secrets or target failed validation, or the server says the config is wrong: the database does not
   * exist, the tool is older than the server, TLS required by one side and missing on the other.
   */
  | 'INVALID_CONFIG'
  /** `getEngine` was asked for a kind that does not exist. */
  | 'UNKNOWN_ENGINE'
  /** The restore target already exists; Lifeboat never restores over existing data. */
  | 'TARGET_EXISTS'
  /**
   * Could not reach the server or lost it: refused, timed out, reset, closed unexpectedly, starting up or shutting
   * down, too many connections. The one transient code: it is retried.
   */
  | 'CONNECTION_FAILED'
  /** Reached the server, but it refused the login: wrong or missing password, unknown role, pg_hba.conf, NOLOGIN. */
  | 'AUTH_FAILED'
  /** Logged in, but the role lacks a privilege the operation needs (a table it may not read, CREATEDB for a restore). */
  | 'PERMISSION_DENIED'
  /** The dump/restore tool is not installed where the worker runs. */
  | 'TOOL_NOT_FOUND'
  /**
   * The tool exited non-zero for a reason the engine could not classify (message carries its stderr tail). Not
   * retried: a tool that failed for an unknown reason fails the same way again far more often than not.
   */
  | 'TOOL_FAILED'
  /** The tool "succeeded" but produced nothing usable (zero bytes, wrong header). */
  | 'EMPTY_OUTPUT'
  /** Aborted by the signal, or the consumer stopped reading. */
  | 'CANCELLED';

export class EngineError extends Error {
  override readonly name = 'EngineError';

  /** The input field the refusal is about, as a path inside the config or restore target (e.g. `['from']`), when one is. */
  readonly field?: readonly string[];

  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown; field?: readonly string[] },
  ) {
    super(message, options);
    if (options?.field !== undefined) this.field = options.field;
  }

  /**
   * Whether trying again unchanged could help; the runner retries only these (with backoff, up to the run kind's
   * attempts) and fails the rest at once. The rule: only `CONNECTION_FAILED` (the server was unreachable or dropped
   * us, a state that passes). Everything else is permanent until someone changes something: credentials
   * (`AUTH_FAILED`: retrying a wrong password only repeats failed logins on the user's server), grants, config, the
   * installed tools, or a tool failure the engine could not classify (`TOOL_FAILED`). So an engine must map a
   * transient failure to `CONNECTION_FAILED` itself, e.g. by matching its tool's stderr (postgres/classify-error.ts).
   */
  get retryable(): boolean {
    return this.code === 'CONNECTION_FAILED';
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
