/**
 * TEST-ONLY ENGINE. Never add it to `ENGINES` in ../registry.ts: it reads and writes any path the worker can.
 *
 * It exists to prove the engine seam (docs/ARCHITECTURE.md, "Engines"): one folder, written against `Engine` only,
 * that passes the same conformance suite as PostgreSQL and runs through the generic code (source input, restore
 * verb, manifest, dashboard description) once a registry lists it. Its artifact is a one-line header
 * (`LBEXAMPLE1 <size>\n`) followed by the file's bytes; a restore writes them to a new file.
 */
import { constants } from 'node:fs';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import { z } from 'zod';

import { EngineError, isEngineError, parseEngineInput, type Engine, type EngineBackupResult } from '../engine';

const MAGIC = 'LBEXAMPLE1';
// The header is `LBEXAMPLE1 <decimal size>\n`: far below this; more bytes without a newline mean it is not ours.
const MAX_HEADER_BYTES = 64;
// Linux PATH_MAX: a longer path cannot be opened anyway.
const MAX_PATH_LENGTH = 4096;
const FORMAT = 'lifeboat-example-v1';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const absolutePath = (what: string) =>
  z
    .string()
    .min(1, `${what} is required`)
    .max(MAX_PATH_LENGTH)
    .refine((p) => !CONTROL_CHARACTER.test(p), `${what} must not contain control characters`)
    .refine((p) => path.isAbsolute(p) && path.normalize(p) === p, `${what} must be an absolute, normalised path`);

export const ExampleConfig = z.object({ path: absolutePath('path') }).strict();
export const ExampleSecrets = z.object({}).strict();
export const ExampleRestoreTarget = z.object({ path: absolutePath('target path') }).strict();

type Config = z.input<typeof ExampleConfig>;
type Secrets = z.input<typeof ExampleSecrets>;
type Target = z.input<typeof ExampleRestoreTarget>;

const parse = (config: unknown, secrets: unknown) => {
  parseEngineInput(ExampleSecrets, secrets, 'example secrets');
  return parseEngineInput(ExampleConfig, config, 'example config');
};

/** Node's file errors as engine errors: a missing source is "cannot reach", the rest a failed tool. */
function fileError(err: unknown, what: string): EngineError {
  if (isEngineError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES') return new EngineError('CONNECTION_FAILED', `cannot read ${what}: ${code}`, { cause: err });
  return new EngineError('TOOL_FAILED', `${what}: ${(err as Error).message}`, { cause: err });
}

function parseHeader(line: Buffer): number {
  const match = /^LBEXAMPLE1 (\d{1,15})$/.exec(line.toString('latin1'));
  if (!match) throw new EngineError('EMPTY_OUTPUT', 'not an example artifact (bad header)');
  return Number(match[1]);
}

export const exampleEngine: Engine<Config, Secrets, Target> = {
  kind: 'example',
  label: 'Example file',
  description: 'Test-only: backs up one file the worker can read.',
  configSchema: ExampleConfig,
  secretsSchema: ExampleSecrets,
  restoreTargetSchema: ExampleRestoreTarget,
  examples: { config: { path: '/var/lib/app/data.db' }, secrets: {}, restoreTarget: { path: '/var/lib/app/data.restored' } },
  artifact: {
    extension: 'lbex',
    restoreHint: ({ decode }) => `${decode} | tail -n +2 > RESTORED_FILE`,
  },
  form: [{ name: 'path', label: 'File', type: 'text', required: true, placeholder: '/var/lib/app/data.db' }],
  restoreForm: [{ name: 'path', label: 'New file path', type: 'text', required: true, maxLength: MAX_PATH_LENGTH, default: '{config.path}.restored-{now}' }],
  backupTypes: ['full'],
  restoreModes: [{ mode: 'new', label: 'Into a new file', destructive: false, help: 'The restore writes a new file; it fails rather than overwrite one.' }],

  async probe(config, secrets) {
    const { path: file } = parse(config, secrets);
    try {
      const st = await stat(file);
      return st.isFile() ? { ok: true, message: `${st.size} bytes` } : { ok: false, message: `${file} is not a regular file` };
    } catch (err) {
      return { ok: false, message: fileError(err, file).message };
    }
  },

  async checkRestoreTarget(config, secrets, target) {
    parse(config, secrets);
    const { path: file } = parseEngineInput(ExampleRestoreTarget, target, 'example restore target');
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists) throw new EngineError('TARGET_EXISTS', `${file} already exists; restore into a new path`);
    const dir = await stat(path.dirname(file)).catch(() => undefined);
    if (!dir?.isDirectory()) throw new EngineError('INVALID_CONFIG', `${path.dirname(file)} is not a directory`);
  },

  backup(config, secrets, options = {}) {
    const { path: file } = parse(config, secrets);
    const startedAt = Date.now();
    let bytes = 0;
    async function* produce(): AsyncGenerator<Buffer> {
      const size = (await stat(file).catch((err: unknown) => Promise.reject(fileError(err, file)))).size;
      const header = Buffer.from(`${MAGIC} ${size}\n`, 'latin1');
      bytes += header.length;
      yield header;
      let read = 0;
      for await (const chunk of createReadStream(file)) {
        read += (chunk as Buffer).length;
        bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== size) throw new EngineError('TOOL_FAILED', `${file} changed size during the backup (${size} → ${read} bytes)`);
    }
    const stream = Readable.from(produce(), { objectMode: false });
    const done = new Promise<EngineBackupResult>((resolve, reject) => {
      stream.once('end', () => resolve({ bytes, durationMs: Date.now() - startedAt, format: FORMAT }));
      stream.once('error', (err) => reject(fileError(err, file)));
      stream.once('close', () => {
        if (!stream.readableEnded) reject(new EngineError('CANCELLED', 'backup output was closed before the end'));
      });
    });
    done.catch(() => undefined);
    stream.on('error', () => undefined);
    const cancel = () => stream.destroy(new EngineError('CANCELLED', 'backup cancelled'));
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    return { stream, done };
  },

  async restore(config, secrets, input, target, options = {}) {
    const startedAt = Date.now();
    let file: string;
    try {
      parse(config, secrets);
      file = parseEngineInput(ExampleRestoreTarget, target, 'example restore target').path;
      if (options.signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled before it started');
    } catch (err) {
      input.destroy();
      throw err;
    }
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600).catch((err: unknown) => {
      input.destroy();
      throw (err as NodeJS.ErrnoException).code === 'EEXIST'
        ? new EngineError('TARGET_EXISTS', `${file} already exists; restore into a new path`)
        : fileError(err, file);
    });
    const onAbort = () => input.destroy(new EngineError('CANCELLED', 'restore cancelled'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let bytes = 0;
    let written = 0;
    let header = Buffer.alloc(0);
    let expected: number | undefined;
    try {
      for await (const chunk of input) {
        const data = chunk as Buffer;
        bytes += data.length;
        let body = data;
        if (expected === undefined) {
          header = Buffer.concat([header, data]);
          const newline = header.indexOf(0x0a);
          if (newline < 0) {
            if (header.length > MAX_HEADER_BYTES) throw new EngineError('EMPTY_OUTPUT', 'not an example artifact (no header)');
            continue;
          }
          expected = parseHeader(header.subarray(0, newline));
          body = header.subarray(newline + 1);
        }
        written += body.length;
        if (written > expected) throw new EngineError('TOOL_FAILED', `the artifact holds more than the ${expected} bytes its header declares`);
        await handle.write(body);
      }
      if (expected === undefined || written !== expected) {
        throw new EngineError('TOOL_FAILED', `the artifact is truncated (${written} of ${expected ?? '?'} bytes)`);
      }
      await handle.sync();
      await handle.close();
    } catch (err) {
      // Nothing half-restored is left behind.
      await handle.close().catch(() => undefined);
      await rm(file, { force: true });
      throw options.signal?.aborted ? new EngineError('CANCELLED', 'restore cancelled', { cause: err }) : err;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { bytes, durationMs: Date.now() - startedAt, target: file };
  },

  async verify(input) {
    const startedAt = Date.now();
    let bytes = 0;
    let first = Buffer.alloc(0);
    for await (const chunk of input) {
      bytes += (chunk as Buffer).length;
      if (first.length <= MAX_HEADER_BYTES) first = Buffer.concat([first, chunk as Buffer]);
    }
    const newline = first.indexOf(0x0a);
    if (newline < 0 || newline > MAX_HEADER_BYTES) throw new EngineError('EMPTY_OUTPUT', 'not an example artifact (no header)');
    const size = parseHeader(first.subarray(0, newline));
    if (bytes - newline - 1 !== size) throw new EngineError('TOOL_FAILED', `the artifact holds ${bytes - newline - 1} bytes, its header says ${size}`);
    return { bytes, durationMs: Date.now() - startedAt, entries: 1, summary: `one file of ${size} bytes` };
  },
};
