import { Readable } from 'node:stream';

import { EngineError, type EngineRunOptions, type EngineVerifyResult } from '../engine';
import { describeExit } from '@/server/process';

import { pgRestoreListArgs } from './argv';
import { toolFailureCode } from './classify-error';
import { createProgressReporter, type ProgressReporter } from '../progress';
import { spawnFailure, spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';

/** What `pg_restore --list` said about the archive, read line by line from its stdout. */
interface TocSummary {
  /** From the header (`;     TOC Entries: 73`): every entry, including ENCODING/SEARCHPATH that are not listed. */
  declared: number | null;
  /** Listed (non-comment) lines. */
  listed: number;
  dumpedFrom?: string;
}

/**
 * Structural check of a `pg_dump -Fc` archive read from `input`: `pg_restore --list` must exit 0 and report a
 * non-empty table of contents. No server is contacted. pg_restore stops reading once it has the TOC; the rest of
 * `input` is still read (and discarded) so that checksums computed over it upstream see every byte.
 */
export async function verifyPostgres(
  original: Readable,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineVerifyResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('verify', options.onProgress);
  if (signal?.aborted) {
    original.destroy();
    throw new EngineError('CANCELLED', 'verification cancelled before it started');
  }
  // No credentials: --list never connects. Started at once, before the first bytes are in (a slow download).
  const tool = spawnPgTool('pg_restore', pgRestoreListArgs(), tools, {}, { stdin: 'pipe', stdout: 'pipe' });

  // A point's `globals` object is a pg_dumpall script, not an archive: it gets a check of its own.
  let sniffed;
  try {
    sniffed = await sniff(original, SCRIPT_MAGIC.length, signal);
  } catch (err) {
    tool.kill();
    await tool.exited;
    if (signal?.aborted) throw new EngineError('CANCELLED', 'verification cancelled');
    throw err;
  }
  const { head, input } = sniffed;
  if (head.subarray(0, SCRIPT_MAGIC.length).equals(SCRIPT_MAGIC)) {
    tool.kill();
    await tool.exited;
    return verifyGlobalsScript(input, startedAt, progress, signal);
  }

  const toc: TocSummary = { declared: null, listed: 0 };
  let partial = '';
  const readLine = (line: string) => {
    const declared = /^;\s*TOC Entries:\s*(\d+)/.exec(line);
    if (declared) toc.declared = Number(declared[1]);
    const from = /^;\s*Dumped from database version:\s*(.+)$/.exec(line);
    if (from) toc.dumpedFrom = from[1]!.trim();
    if (line.trim().length > 0 && !line.startsWith(';')) toc.listed += 1;
  };
  // Parsed as it streams: a large schema's TOC listing is never held in memory whole.
  tool.stdout?.setEncoding('utf8');
  tool.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    lines.forEach(readLine);
  });

  let bytes = 0;
  let inputError: unknown;
  const onAbort = () => {
    tool.kill();
    input.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  // Fed by hand: once pg_restore has read the TOC it may exit and close its stdin; from then on the input is
  // drained instead, and pg_restore's EPIPE is not an error.
  const consumed = new Promise<void>((resolve) => {
    const stdin = tool.stdin;
    let stdinOpen = stdin !== null;
    const closeStdin = () => {
      if (!stdinOpen) return;
      stdinOpen = false;
      if (input.isPaused()) input.resume();
    };
    stdin?.on('error', closeStdin);
    stdin?.once('close', closeStdin);
    input.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      progress.update(bytes);
      if (stdinOpen && stdin !== null && !stdin.write(chunk)) {
        input.pause();
        stdin.once('drain', () => input.resume());
      }
    });
    input.once('end', () => {
      if (stdinOpen) stdin?.end();
      resolve();
    });
    input.once('error', (err) => {
      inputError ??= err;
      // A truncated archive must never be mistaken for a complete one: pg_restore does not get an EOF.
      tool.kill();
      stdin?.destroy();
      resolve();
    });
    input.once('close', () => {
      if (!input.readableEnded && inputError === undefined && !signal?.aborted) {
        inputError = new EngineError('TOOL_FAILED', 'the archive stream closed before it ended');
        tool.kill();
        stdin?.destroy();
      }
      resolve();
    });
  });

  const [, exit] = await Promise.all([consumed, tool.exited]);
  signal?.removeEventListener('abort', onAbort);
  if (partial.length > 0) readLine(partial);

  if (signal?.aborted) throw new EngineError('CANCELLED', 'verification cancelled');
  if (inputError !== undefined) throw inputError;
  if (exit.spawnError !== undefined) throw spawnFailure('pg_restore', tools, exit.spawnError);
  if (exit.code !== 0) {
    // No server here: only "written by a newer pg_dump" (INVALID_CONFIG) is told apart; a damaged archive stays
    // TOOL_FAILED, which is not retried.
    throw new EngineError(
      toolFailureCode(exit.stderrTail),
      `pg_restore --list rejected the archive: ${summarizeStderr('pg_restore', exit.stderrTail) || describeExit(exit)}`,
    );
  }
  const entries = toc.declared ?? toc.listed;
  if (entries === 0) throw new EngineError('EMPTY_OUTPUT', 'pg_restore --list found no table of contents entries in the archive');

  progress.flush();
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    entries,
    summary: `${entries} TOC entries (${toc.listed} listed)${toc.dumpedFrom ? `, dumped from PostgreSQL ${toc.dumpedFrom}` : ''}`,
  };
}

/** The first bytes of every `pg_dumpall` script (see backup.ts), and the line it ends with when it is complete. */
const SCRIPT_MAGIC = Buffer.from('--\n-- PostgreSQL database cluster dump', 'ascii');
const SCRIPT_COMPLETE = '-- PostgreSQL database cluster dump complete';
// Enough of the end to hold the completion line and the blank lines after it.
const SCRIPT_TAIL_BYTES = 4096;

/**
 * Reads at least `bytes` bytes (or to the end) of `input`: the returned stream yields every byte again from the first
 * (the head, then the rest of `input`), and errors with `input`'s own error, or `TOOL_FAILED` if `input` was closed
 * before its end. Destroying it destroys `input`. Rejects with `input`'s own error if that came first.
 */
async function sniff(input: Readable, bytes: number, signal?: AbortSignal): Promise<{ head: Buffer; input: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  let closedEarly = false;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) finish();
    };
    const onEnd = () => finish();
    const onError = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      closedEarly = !input.readableEnded;
      finish();
    };
    const onAbort = () => onError(new EngineError('CANCELLED', 'verification cancelled'));
    function cleanup() {
      signal?.removeEventListener('abort', onAbort);
      input.pause();
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.off('close', onClose);
    }
    function finish() {
      cleanup();
      resolve();
    }
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    input.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  }).catch((err: unknown) => {
    input.destroy();
    throw err;
  });
  const head = Buffer.concat(chunks);
  return { head, input: Readable.from(replay(head, input, closedEarly)) };
}

async function* replay(head: Buffer, rest: Readable, closedEarly: boolean): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  const premature = () => new EngineError('TOOL_FAILED', 'the archive stream closed before it ended');
  if (closedEarly) throw premature();
  try {
    yield* rest as AsyncIterable<Buffer>;
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') throw premature();
    throw err;
  }
}

/**
 * The structural check of a `globals` object: it starts as a pg_dumpall script does and ends with its completion
 * line (a script cut short, or a dump that failed half-way, does not), and holds at least one statement. Read to the
 * end; nothing runs it.
 */
async function verifyGlobalsScript(input: Readable, startedAt: number, progress: ProgressReporter, signal?: AbortSignal): Promise<EngineVerifyResult> {
  let bytes = 0;
  let statements = 0;
  let roles = 0;
  let partial = '';
  let tail = '';
  const onAbort = () => input.destroy(new EngineError('CANCELLED', 'verification cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    input.setEncoding('utf8');
    for await (const chunk of input as AsyncIterable<string>) {
      bytes += Buffer.byteLength(chunk);
      progress.update(bytes);
      tail = (tail + chunk).slice(-SCRIPT_TAIL_BYTES);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('--') || !line.trimEnd().endsWith(';')) continue;
        statements += 1;
        if (line.startsWith('CREATE ROLE ')) roles += 1;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new EngineError('CANCELLED', 'verification cancelled');
  if (!tail.includes(SCRIPT_COMPLETE)) {
    throw new EngineError('TOOL_FAILED', `the globals script is incomplete: it does not end with "${SCRIPT_COMPLETE}"`);
  }
  if (statements === 0) throw new EngineError('EMPTY_OUTPUT', 'the globals script holds no SQL statement');
  progress.flush();
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    entries: statements,
    summary: `pg_dumpall globals script: ${statements} statements, ${roles} roles`,
  };
}
