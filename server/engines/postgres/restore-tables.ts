/**
 * A restore of some tables (`target.tables`): the archive's table of contents is read first (`pg_restore --list
 * --verbose`, which prints each entry's dependencies), the entries to restore are chosen from it, and the real
 * `pg_restore --use-list=<file>` restores only those. `pg_restore -t` alone would restore the bare tables and rows,
 * without their primary keys, indexes, defaults, sequences or triggers.
 *
 * The archive is read once: its first bytes (the header and the TOC, which come before any data) are kept in memory
 * while `pg_restore --list` reads them, and replayed into the real restore before the rest of the stream.
 *
 * What is restored for the chosen tables (`selectTocEntries`): the tables and their rows, every entry that depends on
 * them and on no other table, view or foreign table (indexes, constraints, defaults, triggers, policies, comments,
 * grants, their own sequences, and views over chosen tables only), then everything those entries need (schemas,
 * types, functions, extensions, sequences). A foreign key to a table not chosen is left out (its rows would not be
 * there); a table that a chosen one needs for its definition (the owner of a sequence its default uses, a column of
 * its row type) is created empty.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { EngineError } from '../engine';
import { describeExit } from '@/server/process';

import { pgRestoreListArgs } from './argv';
import { toolFailureCode } from './classify-error';
import { spawnPgTool, summarizeStderr, type PostgresToolOptions } from './run-tool';

// The header and TOC of even a very large schema (100,000 objects) are tens of MB; held in memory only while the TOC
// is read. An archive whose TOC is larger than this is refused rather than risking the worker's memory.
export const TOC_PEEK_MAX_BYTES = 128 * 1024 * 1024;

export interface TocEntry {
  id: number;
  /** `TABLE`, `TABLE DATA`, `INDEX`, `FK CONSTRAINT`, … */
  desc: string;
  /** What follows the desc: `<schema> <name> <owner>` (names may hold spaces, so this is not split). */
  rest: string;
  /** The line as pg_restore printed it; written back as is into the list file. */
  line: string;
  deps: number[];
}

// Entry kinds of more than one word (pg_dump's `desc`s), longest first so that `TABLE DATA` is not read as `TABLE`.
const MULTI_WORD_DESCS = [
  'PUBLICATION TABLES IN SCHEMA',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'MATERIALIZED VIEW DATA',
  'FOREIGN DATA WRAPPER',
  'TEXT SEARCH TEMPLATE',
  'PROCEDURAL LANGUAGE',
  'DATABASE PROPERTIES',
  'TEXT SEARCH PARSER',
  'SEQUENCE OWNED BY',
  'PUBLICATION TABLE',
  'MATERIALIZED VIEW',
  'OPERATOR FAMILY',
  'CHECK CONSTRAINT',
  'OPERATOR CLASS',
  'SECURITY LABEL',
  'FOREIGN SERVER',
  'BLOB METADATA',
  'EVENT TRIGGER',
  'ACCESS METHOD',
  'FOREIGN TABLE',
  'FK CONSTRAINT',
  'INDEX ATTACH',
  'LARGE OBJECT',
  'ROW SECURITY',
  'SEQUENCE SET',
  'TABLE ATTACH',
  'USER MAPPING',
  'DEFAULT ACL',
  'SHELL TYPE',
  'TABLE DATA',
];
/** Entries that hold rows of a relation: a dependent that needs one of these not chosen is left out. */
const RELATION_DESCS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE']);
/** What positions and ties a sequence: kept whenever the sequence is. */
const SEQUENCE_STATE = new Set(['SEQUENCE SET', 'SEQUENCE OWNED BY']);
/** Session settings every restore needs (pg_restore treats them specially anyway). */
const ALWAYS_KEPT = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);

/** Parses `pg_restore --list --verbose` output: entry lines `id; tableoid oid desc rest`, each followed by its `;\tdepends on: …`. */
export function parseTocListing(text: string): TocEntry[] {
  const entries: TocEntry[] = [];
  for (const line of text.split('\n')) {
    const entry = /^(\d+); \d+ \d+ (.*)$/.exec(line);
    if (entry !== null) {
      const body = entry[2]!;
      const desc = MULTI_WORD_DESCS.find((d) => body === d || body.startsWith(`${d} `)) ?? body.split(' ')[0]!;
      entries.push({ id: Number(entry[1]), desc, rest: body.slice(desc.length + 1), line, deps: [] });
      continue;
    }
    const deps = /^;\s*depends on:\s*(.*)$/.exec(line);
    if (deps !== null && entries.length > 0) {
      entries.at(-1)!.deps.push(...deps[1]!.trim().split(/\s+/).filter(Boolean).map(Number));
    }
  }
  return entries;
}

/**
 * Whether a `TABLE` entry is the table `wanted` names: `name` (in any schema) or `schema.name`, exactly. The entry's
 * `rest` is `<schema> <name> <owner>` with names unquoted, so every split into three parts is tried.
 */
export function tableEntryMatches(entry: Pick<TocEntry, 'desc' | 'rest'>, wanted: string): boolean {
  if (entry.desc !== 'TABLE') return false;
  const words = entry.rest.split(' ');
  for (let i = 1; i < words.length; i += 1) {
    const schema = words.slice(0, i).join(' ');
    for (let j = i + 1; j <= words.length; j += 1) {
      const name = words.slice(i, j).join(' ');
      if (wanted === name || wanted === `${schema}.${name}`) return true;
    }
  }
  return false;
}

/** The entries to restore for `tables` (see the module comment), and the names that matched no table. */
export function selectTocEntries(entries: readonly TocEntry[], tables: readonly string[]): { keep: Set<number>; missing: string[] } {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const keep = new Set<number>();
  const missing: string[] = [];
  for (const wanted of tables) {
    const matched = entries.filter((e) => tableEntryMatches(e, wanted));
    if (matched.length === 0) missing.push(wanted);
    for (const e of matched) keep.add(e.id);
  }
  for (const e of entries) if (ALWAYS_KEPT.has(e.desc)) keep.add(e.id);

  // Dependents: entries about the chosen tables (and about those entries), needing no relation that is not chosen.
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of entries) {
      if (keep.has(e.id) || e.desc === 'DATABASE' || !e.deps.some((d) => keep.has(d))) continue;
      const relations = e.deps.filter((d) => RELATION_DESCS.has(byId.get(d)?.desc ?? ''));
      if (relations.every((d) => keep.has(d))) {
        keep.add(e.id);
        grew = true;
      }
    }
  }

  // Dependencies: whatever the kept entries need to be created (schemas, types, functions, sequences, extensions).
  const stack = [...keep];
  while (stack.length > 0) {
    const e = byId.get(stack.pop()!);
    for (const d of e?.deps ?? []) {
      if (!keep.has(d) && byId.has(d) && byId.get(d)!.desc !== 'DATABASE') {
        keep.add(d);
        stack.push(d);
      }
    }
  }
  // A sequence pulled in above (the owner of one a chosen table's default uses) is positioned as backed up too.
  for (const e of entries) {
    if (SEQUENCE_STATE.has(e.desc) && !keep.has(e.id) && e.deps.length > 0 && e.deps.every((d) => keep.has(d))) keep.add(e.id);
  }
  return { keep, missing };
}

/** The `--use-list` file's content: the kept entries' lines, in the archive's order. */
export function useListText(entries: readonly TocEntry[], keep: ReadonlySet<number>): string {
  return entries
    .filter((e) => keep.has(e.id))
    .map((e) => `${e.line}\n`)
    .join('');
}

export interface PeekedArchive {
  entries: TocEntry[];
  /** The whole archive again: the bytes read for the TOC, then the rest of the input. */
  replay: Readable;
}

/**
 * Reads the TOC of the archive on `input` with `pg_restore --list --verbose` (no server), keeping the bytes it read.
 * Rejects with `input`'s own error if reading failed, `TOOL_FAILED`/`INVALID_CONFIG` (stderr tail) if pg_restore
 * refused the archive, `TOOL_FAILED` if its TOC is beyond `TOC_PEEK_MAX_BYTES`.
 */
export async function peekToc(input: Readable, tools: PostgresToolOptions, signal?: AbortSignal): Promise<PeekedArchive> {
  const tool = spawnPgTool('pg_restore', pgRestoreListArgs({ dependencies: true }), tools, {}, { stdin: 'pipe', stdout: 'pipe' });
  const listing: string[] = [];
  tool.stdout?.setEncoding('utf8');
  tool.stdout?.on('data', (chunk: string) => listing.push(chunk));
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  let problem: unknown;

  const onAbort = () => tool.kill();
  signal?.addEventListener('abort', onAbort, { once: true });
  const stdin = tool.stdin!;
  let stdinOpen = true;
  let exited = false;
  // pg_restore stops reading once it has the TOC: from then on nothing more is read (the rest is the replay's).
  const closeStdin = () => {
    stdinOpen = false;
    input.pause();
  };
  stdin.on('error', closeStdin);
  stdin.once('close', closeStdin);

  const onData = (chunk: Buffer) => {
    head.push(chunk);
    headBytes += chunk.length;
    if (headBytes > TOC_PEEK_MAX_BYTES) {
      problem ??= new EngineError('TOOL_FAILED', `the archive's table of contents is larger than ${TOC_PEEK_MAX_BYTES / 1024 / 1024} MiB: restore it whole, or pick tables by hand with pg_restore --list/--use-list`);
      tool.kill();
      return;
    }
    if (stdinOpen && !stdin.write(chunk)) {
      input.pause();
      stdin.once('drain', () => {
        if (!exited && problem === undefined) input.resume();
      });
    }
  };
  const onEnd = () => {
    ended = true;
    if (stdinOpen) stdin.end();
  };
  const onError = (err: unknown) => {
    problem ??= err;
    tool.kill();
    stdin.destroy();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('error', onError);

  const exit = await tool.exited;
  exited = true;
  input.pause();
  input.off('data', onData);
  input.off('end', onEnd);
  input.off('error', onError);
  signal?.removeEventListener('abort', onAbort);
  if (!stdin.destroyed) stdin.destroy();

  const fail = (err: unknown): never => {
    input.destroy();
    throw err;
  };
  if (signal?.aborted) fail(new EngineError('CANCELLED', 'restore cancelled'));
  if (problem !== undefined) fail(problem);
  if (exit.spawnError !== undefined || exit.code !== 0) {
    fail(
      new EngineError(
        toolFailureCode(exit.stderrTail),
        `pg_restore --list rejected the archive: ${summarizeStderr('pg_restore', exit.stderrTail) || describeExit(exit)}`,
      ),
    );
  }
  const entries = parseTocListing(listing.join(''));
  return { entries, replay: Readable.from(replay(head, ended ? undefined : input)) };
}

async function* replay(head: readonly Buffer[], rest: Readable | undefined): AsyncGenerator<Buffer> {
  yield* head;
  // The input's own error (a failed download) surfaces as the replay's; stopping early destroys the input.
  if (rest !== undefined) yield* rest as AsyncIterable<Buffer>;
}

/**
 * The list file for `pg_restore --use-list` of `tables`, in a private folder (0700; removed by `cleanup`). Refuses
 * (`INVALID_CONFIG`, naming some of the archive's tables) names that match no table of the archive.
 */
export async function writeUseList(entries: readonly TocEntry[], tables: readonly string[]): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const { keep, missing } = selectTocEntries(entries, tables);
  if (missing.length > 0) {
    const have = entries.filter((e) => e.desc === 'TABLE').map((e) => e.rest.split(' ').slice(0, -1).join('.'));
    // Enough to spot a typo; the archive's full list is `pg_restore --list`.
    const shown = have.slice(0, 20).join(', ') + (have.length > 20 ? `, … (${have.length} tables)` : '');
    throw new EngineError(
      'INVALID_CONFIG',
      `not in this backup: ${missing.map((m) => `table "${m}"`).join(', ')}; name tables as name or schema.name, exactly as in the database${have.length > 0 ? ` (it holds ${shown})` : ' (it holds no table)'}`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-toc-'));
  const file = path.join(dir, 'restore.list');
  await writeFile(file, useListText(entries, keep), { mode: 0o600 });
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
