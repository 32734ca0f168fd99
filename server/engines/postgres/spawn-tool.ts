/**
 * Runs a client tool (pg_dump, pg_restore) without a shell and keeps what we need to explain a failure.
 * Nothing here is PostgreSQL-specific; it lives beside its only user until a second engine needs it.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

// Enough for the last few error lines of a verbose tool without holding a chatty stderr in memory.
const STDERR_TAIL_BYTES = 8 * 1024;
// A dump told to stop gets this long to close its connection cleanly before SIGKILL.
const KILL_GRACE_MS = 5_000;

export interface SpawnToolOptions {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  /** `pipe` to feed the tool (pg_restore reads the archive from stdin). */
  stdin: 'ignore' | 'pipe';
  /**
   * `pipe` to read the tool's output (pg_dump writes the archive to stdout), or a stream backed by a file descriptor
   * (another tool's stdin) for the tool to write into directly.
   */
  stdout: 'ignore' | 'pipe' | Writable;
}

export interface ToolExit {
  /** Exit code, or null if killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last few KB of stderr, as text. */
  stderrTail: string;
  /** Set when the process could not be started at all (e.g. ENOENT: not installed). */
  spawnError?: NodeJS.ErrnoException;
}

export interface SpawnedTool {
  child: ChildProcess;
  stdin: Writable | null;
  stdout: Readable | null;
  /** Settles (never rejects) once the process has exited and its stdio is closed, or failed to start. */
  exited: Promise<ToolExit>;
  /** SIGTERM now, SIGKILL after a grace period if still alive. Safe to call repeatedly or after exit. */
  kill(): void;
}

export function spawnTool(options: SpawnToolOptions): SpawnedTool {
  const stdio: StdioOptions = [options.stdin, options.stdout, 'pipe'];
  const child: ChildProcess = spawn(options.command, [...options.args], {
    // Cast only because Next's types mark NODE_ENV as required; the tool gets exactly this environment.
    env: options.env as NodeJS.ProcessEnv,
    stdio,
    shell: false,
    windowsHide: true,
  });

  let tail = Buffer.alloc(0);
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });

  let exitedFlag = false;
  const exited = new Promise<ToolExit>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      // 'error' without a pid means spawn itself failed; 'close' may never follow.
      if (child.pid === undefined) {
        exitedFlag = true;
        resolve({ code: null, signal: null, stderrTail: '', spawnError: err });
      }
    });
    child.once('close', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal, stderrTail: tail.toString('utf8') });
    });
  });

  let killTimer: NodeJS.Timeout | undefined;
  function kill(): void {
    if (exitedFlag || child.pid === undefined || killTimer !== undefined) return;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      if (!exitedFlag) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    killTimer.unref();
  }
  void exited.then(() => clearTimeout(killTimer));

  return { child, stdin: child.stdin, stdout: child.stdout, exited, kill };
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

/** "exit code 1" / "killed by SIGKILL", for messages. */
export function describeExit(exit: ToolExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
