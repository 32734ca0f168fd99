import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { EngineError, type EngineRestoreOptions, type EngineRestoreResult, type EngineStoredObject } from '../engine';

import { STDOUT_ROLE } from './backup';
import { INPUT_DIR, type CommandConfig, type CommandRestoreMode, type CommandSecrets } from './config';
import { createProgressReporter } from '../progress';
import { commandFailure, describeCommand, prepareCommand, startCommand, type PreparedCommand } from './run';

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;

/**
 * Refuses, with a readable INVALID_CONFIG, a restore that cannot run: the `download` mode (nothing runs; the point's
 * objects are downloaded instead) or a source without `restoreArgv`. The request verb calls this through
 * `checkRestoreTarget`, so such a restore is refused when it is requested.
 */
export function assertRestorable(config: CommandConfig, mode: string | undefined): asserts config is CommandConfig & { restoreArgv: string[] } {
  const chosen = (mode ?? 'command') as CommandRestoreMode | string;
  if (chosen === 'download') {
    throw new EngineError('INVALID_CONFIG', 'mode "download" runs nothing on a worker: download the recovery point\'s objects instead');
  }
  if (chosen !== 'command') throw new EngineError('INVALID_CONFIG', `unknown restore mode ${JSON.stringify(chosen)} for a capture command; use "command" or "download"`);
  if (config.restoreArgv === undefined) throw new EngineError('INVALID_CONFIG', 'this source has no restore command; download the object instead');
}

/** Files output: every object, in the point's order (all of them go into `{inputDir}`); stdout: the one object. */
export function restoreRoles(config: CommandConfig, objects: readonly EngineStoredObject[]): string[] {
  if (config.output === 'files') return objects.map((o) => o.role);
  const data = objects.find((o) => o.role === STDOUT_ROLE) ?? (objects.length === 1 ? objects[0] : undefined);
  if (data === undefined) throw new EngineError('INVALID_CONFIG', `the point holds no ${STDOUT_ROLE} object to hand to the restore command`);
  return [data.role];
}

/** `input` written into `stream`, chunk by chunk, each handed to the OS before the next is read. */
async function feed(input: Readable, stdin: Writable, onBytes: (n: number) => void): Promise<{ inputError?: unknown; stdinError?: unknown }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await it.next();
    } catch (err) {
      return { inputError: err };
    }
    if (next.done) break;
    try {
      await new Promise<void>((resolve, reject) => {
        if (stdin.destroyed) {
          reject(new Error('the command closed its input'));
          return;
        }
        stdin.write(next.value, (err) => (err ? reject(err) : resolve()));
      });
      onBytes(next.value.length);
    } catch (err) {
      input.destroy();
      return { stdinError: err };
    }
  }
  stdin.end();
  return {};
}

/**
 * Stdout output: runs `restoreArgv` with the object on its stdin. Resolves only if it read everything and exited 0.
 * If `input` fails (e.g. the stored object's checksum did not match at its end), the command is killed *before* its
 * stdin closes, so it never sees a clean end of a damaged artifact; the restore rejects with `input`'s error.
 */
export async function restoreFromStdin(config: CommandConfig & { restoreArgv: string[] }, secrets: CommandSecrets, input: Readable, options: EngineRestoreOptions = {}): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const what = describeCommand('restore', config.restoreArgv);
  const progress = createProgressReporter('restore', options.onProgress);
  progress.setEstimatedTotal(options.inputBytes);
  if (signal?.aborted) {
    input.destroy();
    throw new EngineError('CANCELLED', 'restore cancelled before it started');
  }
  let prepared: PreparedCommand;
  try {
    prepared = await prepareCommand(config.restoreArgv, INPUT_DIR, 'in', config, secrets);
  } catch (err) {
    input.destroy();
    throw err;
  }
  const onAbort = () => input.destroy(new EngineError('CANCELLED', 'restore cancelled'));
  try {
    // startCommand's own abort listener runs first: the command is killed before its input is cut.
    const run = startCommand(prepared, { stdin: 'pipe', stdout: 'ignore', timeoutSeconds: config.timeoutSeconds, ...(signal && { signal }) });
    signal?.addEventListener('abort', onAbort, { once: true });
    let bytes = 0;
    const fed = await feed(input, run.process.stdin!, (n) => {
      bytes += n;
      progress.update(bytes);
    });
    if (fed.inputError !== undefined) {
      run.kill();
      await run.outcome;
      if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled');
      throw fed.inputError;
    }
    const outcome = await run.outcome;
    const failed = commandFailure(what, outcome, prepared.secrets, config.timeoutSeconds);
    if (failed !== undefined) throw failed;
    if (fed.stdinError !== undefined) throw new EngineError('TOOL_FAILED', `${what} exited 0 before reading all of its input (${bytes} bytes taken); it cannot have restored the whole object`);
    progress.flush();
    return { bytes, durationMs: Date.now() - startedAt, target: `${what} exited 0 after reading ${bytes} bytes` };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await prepared.cleanup();
  }
}

/** One object for `restoreFiles`: its bytes and what names its file. */
export interface FileInput {
  role: string;
  details: Record<string, unknown>;
  input: Readable;
}

/**
 * The relative file name an object is restored under: the name the capture recorded (`details.file`) if it is a
 * plain relative path, else the role without its `file.` prefix. Never absolute, never `..`: the files stay inside
 * `{inputDir}`.
 */
export function restoredFileName(object: { role: string; details: Record<string, unknown> }): string {
  const file = object.details.file;
  if (typeof file === 'string' && isPlainRelative(file)) return file;
  const fromRole = object.role.startsWith('file.') ? object.role.slice('file.'.length) : object.role;
  return isPlainRelative(fromRole) ? fromRole : 'data';
}

function isPlainRelative(file: string): boolean {
  if (file === '' || NUL.test(file) || file.startsWith('/')) return false;
  const parts = file.split('/');
  return path.posix.normalize(file) === file && !parts.includes('..') && !parts.includes('.');
}

/**
 * Files output: writes every object into a new private `{inputDir}` under its original relative name (files 0600,
 * directories 0700), then runs `restoreArgv` there. Each input is read to its end before the next is pulled. The
 * directory is removed afterwards, whatever happened.
 */
export async function restoreFiles(config: CommandConfig & { restoreArgv: string[] }, secrets: CommandSecrets, inputs: AsyncIterable<FileInput>, options: EngineRestoreOptions = {}): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const what = describeCommand('restore', config.restoreArgv);
  const progress = createProgressReporter('restore', options.onProgress);
  progress.setEstimatedTotal(options.inputBytes);
  if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
  const prepared = await prepareCommand(config.restoreArgv, INPUT_DIR, 'in', config, secrets);
  try {
    let bytes = 0;
    let files = 0;
    for await (const object of inputs) {
      const name = restoredFileName(object);
      const dest = path.join(prepared.scratch, name);
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          progress.update(bytes);
          callback(null, chunk);
        },
      });
      try {
        await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
        await pipeline(object.input, count, createWriteStream(dest, { flags: 'wx', mode: 0o600 }), { signal });
      } catch (err) {
        object.input.destroy();
        if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled');
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new EngineError('TOOL_FAILED', `two objects of the point name the same file ${name}`);
        throw err;
      }
      files += 1;
    }
    if (signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled');
    if (files === 0) throw new EngineError('EMPTY_OUTPUT', 'no objects to restore');
    const outcome = await startCommand(prepared, { stdin: 'ignore', stdout: 'ignore', timeoutSeconds: config.timeoutSeconds, ...(signal && { signal }) }).outcome;
    const failed = commandFailure(what, outcome, prepared.secrets, config.timeoutSeconds);
    if (failed !== undefined) throw failed;
    progress.flush();
    return { bytes, durationMs: Date.now() - startedAt, target: `${what} exited 0 with ${files} file${files === 1 ? '' : 's'} in ${INPUT_DIR}` };
  } finally {
    await prepared.cleanup();
  }
}
