import type { Readable } from 'node:stream';

import { EngineError, type EngineRunOptions, type EngineVerifyResult } from '../engine';
import { describeExit } from '@/server/process';

import { pgRestoreListArgs } from './argv';
import { toolFailureCode } from './classify-error';
import { createProgressReporter } from './progress';
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
  input: Readable,
  options: EngineRunOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineVerifyResult> {
  const startedAt = Date.now();
  const { signal } = options;
  const progress = createProgressReporter('verify', options.onProgress);
  if (signal?.aborted) {
    input.destroy();
    throw new EngineError('CANCELLED', 'verification cancelled before it started');
  }

  // No credentials: --list never connects.
  const tool = spawnPgTool('pg_restore', pgRestoreListArgs(), tools, {}, { stdin: 'pipe', stdout: 'pipe' });

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
