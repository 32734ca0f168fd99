/**
 * pg_dump / pg_restore through the one process helper (`server/process`), and what their stderr means.
 * The environment is the helper's allow-list plus exactly what `toolEnv` passes on purpose (the source's password)
 * and the operator's `tools.env`: the worker's own PG* variables, catalog URL and keys never reach a tool.
 */
import type { Writable } from 'node:stream';

import { EngineError } from '../engine';
import { spawnProcess, startFailure, type SpawnedProcess } from '@/server/process';

import { toolCommand, toolEnv, type PostgresTool } from './argv';
import type { PostgresSecrets } from './config';

export interface PostgresToolOptions {
  /** Folder holding pg_dump/pg_restore; default: look them up on PATH. */
  binDir?: string;
  /**
   * Extra variables every tool gets on purpose, on top of the allow-listed ones (a test's fake pg_dump reads its
   * mode from one). The worker's own environment is never passed on.
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Tables below this size get an exact `count(*)` in a backup's row counts (default `EXACT_COUNT_MAX_BYTES`, 64 MiB);
   * tests set it low to see the planner's estimates.
   */
  exactCountMaxBytes?: number;
}

export function spawnPgTool(
  tool: PostgresTool,
  args: readonly string[],
  tools: PostgresToolOptions,
  secrets: PostgresSecrets,
  stdio: { stdin: 'ignore' | 'pipe' | number; stdout: 'ignore' | 'pipe' | Writable },
): SpawnedProcess {
  return spawnProcess({
    command: toolCommand(tool, tools.binDir),
    args,
    env: { ...tools.env, ...toolEnv(secrets) },
    ...stdio,
  });
}

/** TOOL_NOT_FOUND (with where we looked) or TOOL_FAILED for a tool that could not be started. */
export function spawnFailure(tool: PostgresTool, tools: PostgresToolOptions, err: NodeJS.ErrnoException): EngineError {
  const { code, message } = startFailure(tool, toolCommand(tool, tools.binDir), err, 'install the PostgreSQL client tools on the worker');
  return new EngineError(code, message, { cause: err });
}

/**
 * The useful part of a tool's stderr as one line: the last error lines (or the last lines at all), without
 * the `pg_dump: error:` prefixes and libpq's double spaces, e.g.
 * `connection to server at "127.0.0.1", port 5432 failed: FATAL: database "nope" does not exist`.
 */
export function summarizeStderr(tool: string, stderrTail: string): string {
  const lines = stderrTail
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const isError = (line: string) => /\b(error|fatal|panic)\b|could not|failed/i.test(line);
  const errorLines = lines.filter(isError);
  // Detail/hint lines right after an error are worth keeping; three lines is enough to read in a UI.
  const picked = (errorLines.length > 0 ? errorLines : lines).slice(-3);
  const prefix = new RegExp(`^${tool}:\\s*(error:\\s*)?`, 'i');
  return picked
    .map((line) => line.replace(prefix, '').replace(/\s+/g, ' '))
    .join(' / ');
}
