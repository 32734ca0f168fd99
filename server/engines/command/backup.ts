import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';

import {
  EngineError,
  isEngineError,
  OBJECT_ROLE_PATTERN,
  type EngineBackup,
  type EngineBackupObject,
  type EngineBackupResult,
  type EngineRunOptions,
} from '../engine';
import { toolArtifact } from '@/server/process/tool-artifact';

import { OUTPUT_DIR, type CommandConfig, type CommandSecrets } from './config';
import { createProgressReporter } from '../progress';
import { commandFailure, describeCommand, prepareCommand, prepareSibling, startCommand, summarizeOutput, type CommandOutcome, type PreparedCommand } from './run';

/** Manifest formats: what the command printed, and one file it wrote; both the tool's bytes unchanged. */
export const STDOUT_FORMAT = 'command-stdout';
export const FILE_FORMAT = 'command-file';
/** Extension of the stdout object (the engine's artifact extension) and of each file object. */
export const STDOUT_EXTENSION = 'out';
export const FILE_EXTENSION = 'raw';
/** The role of the stdout object: `data`, so single-object code paths (and the default restore) read it. */
export const STDOUT_ROLE = 'data';
const FILE_ROLE_PREFIX = 'file.';
// A point with more objects than this is an archive spread over the catalog: have the command write a tarball.
export const MAX_OUTPUT_FILES = 1000;
// Enough to read a big snapshot file at disk speed without holding much of it in memory.
const READ_CHUNK_BYTES = 1024 * 1024;
// Short, yet collisions among one command's files are out of the question.
const ROLE_HASH_CHARS = 8;

/**
 * Runs `argv` and streams what it prints. The stream errors (never ends cleanly) unless the command exited 0 within
 * `timeoutSeconds` and printed something; `done` rejects with the reason (stderr tail, secrets redacted).
 */
export function backupStdout(config: CommandConfig, secrets: CommandSecrets, options: EngineRunOptions = {}): EngineBackup {
  const startedAt = Date.now();
  const progress = createProgressReporter('backup', options.onProgress);
  const what = describeCommand('capture', config.argv);
  let prepared: PreparedCommand | undefined;

  const tailOf = (stderr: string) => {
    const tail = summarizeOutput(stderr, prepared?.secrets ?? []);
    return tail === '' ? '' : `: ${tail}`;
  };

  return toolArtifact<EngineBackupResult, CommandOutcome>({
    signal: options.signal,
    onBytes: (bytes) => progress.update(bytes),
    start: async ({ failed, spawned }) => {
      prepared = await prepareCommand(config.argv, OUTPUT_DIR, 'out', config, secrets);
      if (failed()) {
        await prepared.cleanup();
        return;
      }
      const running = startCommand(prepared, { stdin: 'ignore', stdout: 'pipe', timeoutSeconds: config.timeoutSeconds });
      spawned({ stdout: running.process.stdout, exited: running.outcome, kill: running.kill });
    },
    exitError: (outcome) => commandFailure(what, outcome, prepared!.secrets, config.timeoutSeconds),
    finalError: (outcome, bytes) =>
      outcome === undefined
        ? new EngineError('TOOL_FAILED', `${what} was not started`)
        : (commandFailure(what, outcome, prepared?.secrets ?? [], config.timeoutSeconds) ??
          (bytes === 0 ? new EngineError('EMPTY_OUTPUT', `${what} exited 0 but printed nothing${tailOf(outcome.exit.stderrTail)}`) : undefined)),
    finish: async (bytes) => {
      await prepared?.cleanup();
      progress.flush();
      return { bytes, durationMs: Date.now() - startedAt, format: STDOUT_FORMAT, details: { program: prepared!.program } };
    },
    afterFailure: () => prepared?.cleanup(),
    startError: (err) => (isEngineError(err) ? err : new EngineError('TOOL_FAILED', `${what}: ${(err as Error).message}`, { cause: err })),
    cancelled: (message) => new EngineError('CANCELLED', message),
    closedEarly: 'backup output was closed before the command finished',
  });
}

/** A regular file the command wrote, relative to `{outputDir}` (POSIX separators). */
export interface OutputFile {
  file: string;
  absolute: string;
  size: number;
}

/** Every regular file under `dir`, recursing into directories, sorted by relative name. Symlinks and devices are skipped. */
export async function listOutputFiles(dir: string): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const relative = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const absolute = path.join(dir, relative);
      // lstat, not stat: a symlink the command left could point anywhere on the worker.
      const st = await lstat(absolute);
      if (st.isDirectory()) await walk(relative);
      else if (st.isFile()) {
        out.push({ file: relative, absolute, size: st.size });
        if (out.length > MAX_OUTPUT_FILES) throw new EngineError('TOOL_FAILED', `the command wrote more than ${MAX_OUTPUT_FILES} files; have it write an archive (tar) instead`);
      }
    }
  }
  await walk('');
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, ROLE_HASH_CHARS);

/**
 * `file.<name>` for each relative file name, matching OBJECT_ROLE_PATTERN and unique: lowercased, `/` as `.`, other
 * characters outside `[a-z0-9._-]` as `-`; a name too long, or one that collides with another, ends in a short hash
 * of the original name. The original name is kept in the object's details, so nothing depends on reversing this.
 */
export function fileRoles(files: readonly string[]): string[] {
  const taken = new Set<string>();
  const max = 63 - FILE_ROLE_PREFIX.length;
  return files.map((file) => {
    const clean = file
      .toLowerCase()
      .replaceAll('/', '.')
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '');
    let role = clean.length > 0 && clean.length <= max ? `${FILE_ROLE_PREFIX}${clean}` : `${FILE_ROLE_PREFIX}${clean.slice(0, max - ROLE_HASH_CHARS - 1)}-${shortHash(file)}`;
    if (clean.length === 0) role = `${FILE_ROLE_PREFIX}${shortHash(file)}`;
    for (let n = 2; taken.has(role) || !OBJECT_ROLE_PATTERN.test(role); n += 1) {
      const suffix = `-${shortHash(`${file}\u0000${n}`)}`;
      role = `${FILE_ROLE_PREFIX}${clean.slice(0, max - suffix.length)}${suffix}`.replace(/^file\.[^a-z0-9]+/, FILE_ROLE_PREFIX);
    }
    taken.add(role);
    return role;
  });
}

/**
 * Files output: runs `argv` (and `checkArgv`) to completion with `{outputDir}` as its scratch directory, then yields
 * one object per regular file there. The scratch directory is removed when the iteration ends, however it ends.
 * Config and secrets are parsed by the caller, so a bad config throws before this generator exists.
 */
export async function* backupFiles(config: CommandConfig, secrets: CommandSecrets, options: EngineRunOptions = {}): AsyncGenerator<EngineBackupObject> {
  const { signal } = options;
  const what = describeCommand('capture', config.argv);
  if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled before it started');
  const prepared = await prepareCommand(config.argv, OUTPUT_DIR, 'out', config, secrets);
  try {
    const run = startCommand(prepared, { stdin: 'ignore', stdout: 'ignore', timeoutSeconds: config.timeoutSeconds, ...(signal && { signal }) });
    const outcome = await run.outcome;
    const failed = commandFailure(what, outcome, prepared.secrets, config.timeoutSeconds);
    if (failed !== undefined) throw failed;
    const tail = summarizeOutput(outcome.exit.stderrTail, prepared.secrets);
    const says = tail === '' ? '' : `: ${tail}`;

    if (config.checkArgv !== undefined) {
      const checkWhat = describeCommand('check', config.checkArgv);
      const check = await prepareSibling(prepared, config.checkArgv, OUTPUT_DIR, secrets);
      const checked = await startCommand(check, { stdin: 'ignore', stdout: 'ignore', timeoutSeconds: config.timeoutSeconds, ...(signal && { signal }) }).outcome;
      const checkFailed = commandFailure(checkWhat, checked, prepared.secrets, config.timeoutSeconds);
      if (checkFailed !== undefined) throw checkFailed.code === 'TOOL_FAILED' ? new EngineError('TOOL_FAILED', `the capture's check refused its output: ${checkFailed.message}`) : checkFailed;
    }

    const files = await listOutputFiles(prepared.scratch);
    if (files.length === 0) throw new EngineError('EMPTY_OUTPUT', `${what} exited 0 but wrote no files into ${OUTPUT_DIR}${says}`);
    if (files.every((f) => f.size === 0)) throw new EngineError('EMPTY_OUTPUT', `${what} exited 0 but every file it wrote is empty${says}`);
    const roles = fileRoles(files.map((f) => f.file));
    for (const [i, file] of files.entries()) {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'backup cancelled');
      yield fileObject(roles[i]!, file, options);
    }
  } finally {
    await prepared.cleanup();
  }
}

/** `'it'\''s'`: a single-quoted shell word, whatever the name holds. */
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function fileObject(role: string, file: OutputFile, defaults: EngineRunOptions): EngineBackupObject {
  const restored = `restored/${file.file}`;
  return {
    role,
    extension: FILE_EXTENSION,
    details: { file: file.file, size: file.size },
    // The file back under the name the command gave it.
    restoreHint: ({ decode }) => `mkdir -p ${shellQuote(path.posix.dirname(restored))} && ${decode} > ${shellQuote(restored)}`,
    backup: (options = {}) => streamFile(file, { ...defaults, ...options }),
  };
}

/** One output file as an object's bytes; fails if the file changed size since the command finished. */
function streamFile(file: OutputFile, options: EngineRunOptions): EngineBackup {
  const startedAt = Date.now();
  const progress = createProgressReporter('backup', options.onProgress);
  let bytes = 0;
  const source = createReadStream(file.absolute, { highWaterMark: READ_CHUNK_BYTES });
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
    flush(callback) {
      callback(bytes === file.size ? null : new EngineError('TOOL_FAILED', `${file.file} changed size while it was read (${file.size} → ${bytes} bytes)`));
    },
  });
  stream.on('error', () => undefined);
  source.on('error', (err) => stream.destroy(new EngineError('TOOL_FAILED', `cannot read ${file.file}: ${err.message}`, { cause: err })));
  source.pipe(stream);
  const done = new Promise<EngineBackupResult>((resolve, reject) => {
    stream.once('end', () => {
      progress.flush();
      resolve({ bytes, durationMs: Date.now() - startedAt, format: FILE_FORMAT });
    });
    stream.once('error', (err) => reject(isEngineError(err) ? err : new EngineError('TOOL_FAILED', err.message, { cause: err })));
    stream.once('close', () => {
      if (!stream.readableEnded) reject(new EngineError('CANCELLED', 'backup output was closed before the end'));
      source.destroy();
    });
  });
  done.catch(() => undefined);
  const cancel = () => stream.destroy(new EngineError('CANCELLED', 'backup cancelled'));
  if (options.signal?.aborted) cancel();
  else options.signal?.addEventListener('abort', cancel, { once: true });
  void done.finally(() => options.signal?.removeEventListener('abort', cancel)).catch(() => undefined);
  return { stream, done };
}
