/**
 * The one way Lifeboat starts a child process (pg_dump, pg_restore, zstd, age, and whatever the next engine needs):
 *
 * - argv only, never a shell, so no value can be read as shell syntax;
 * - an allow-listed environment (`childEnv`): the worker's secrets never reach a child;
 * - the exit status and the last few KB of stderr are kept, so the caller can judge the exit and explain it;
 * - `kill()` (what every caller's abort calls) signals the child's whole process group, SIGTERM then SIGKILL, and
 *   drops our ends of its pipes, so nothing it started outlives it and `exited` always settles;
 * - a binary that is not installed is reported as such (`startFailure`), not as an obscure ENOENT.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

import { childEnv } from './child-env';

// Enough for the last few error lines of a verbose tool without holding a chatty stderr in memory.
const STDERR_TAIL_BYTES = 8 * 1024;
// A tool told to stop gets this long to finish cleanly (a pg_dump closes its connection) before SIGKILL.
const DEFAULT_KILL_GRACE_MS = 5_000;

/** The child of a process started with stdin and stdout piped (so none of its stdio is null). */
export type PipedChild = ChildProcessWithoutNullStreams;

export interface SpawnProcessOptions {
  command: string;
  args: readonly string[];
  /** Variables passed on purpose (e.g. PGPASSWORD), on top of the allow-listed ones. Never put secrets in `args`. */
  env?: Readonly<Record<string, string>>;
  /**
   * `pipe` to feed the process, or a descriptor for it to read (a kernel pipe's read end, see `openPipes`); default
   * `ignore`. Like a numeric `stdout`, the child gets its own copy and the caller's stays the caller's to close.
   */
  stdin?: 'ignore' | 'pipe' | number;
  /**
   * `pipe` to read its output (the default), `ignore`, a stream backed by a file descriptor (another process's
   * stdin), or a descriptor (a storage driver's temp file) for it to write into directly, without a hop through this
   * process. The child gets its own copy of the descriptor; the caller's stays open and remains the caller's to close.
   */
  stdout?: 'ignore' | 'pipe' | Writable | number;
  /** Between SIGTERM and SIGKILL; default 5 s. */
  killGraceMs?: number;
  /** Working directory of the process (absolute); default this process's. */
  cwd?: string;
}

export interface ProcessExit {
  /** Exit code, or null if killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last few KB of stderr, as text. */
  stderrTail: string;
  /** Set when the process could not be started at all (ENOENT: not installed; EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
  /** `kill()` was called: a signal exit is then our doing, not a failure of its own. */
  killedByUs: boolean;
}

export interface SpawnedProcess {
  child: ChildProcess;
  stdin: Writable | null;
  stdout: Readable | null;
  /** Settles (never rejects) once the process has exited and its stdio is closed, or it failed to start. */
  exited: Promise<ProcessExit>;
  /** SIGTERM to its process group now, SIGKILL after the grace period if still alive. Safe to call repeatedly or after exit. */
  kill(): void;
}

export function spawnProcess(options: SpawnProcessOptions): SpawnedProcess {
  const stdio: StdioOptions = [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'];
  const child = spawn(options.command, [...options.args], {
    // Cast only because Next's types mark NODE_ENV as required; the process gets exactly this environment.
    env: childEnv(options.env) as NodeJS.ProcessEnv,
    stdio,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    shell: false,
    // Its own process group, so that kill() reaches whatever it starts (pg_dump -j workers, a wrapper script's tools).
    detached: true,
    windowsHide: true,
  });
  // EPIPE/ECONNRESET here only mean the process stopped reading or writing; its exit status says why, and a caller
  // that cares adds its own listener. Without one, such an error would crash the worker.
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  child.stderr?.on('error', () => undefined);

  let tail = Buffer.alloc(0);
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });

  let hasExited = false;
  let killedByUs = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    // `on`, not `once`: a second 'error' (a failed kill) without a listener would crash the worker.
    child.on('error', (err: NodeJS.ErrnoException) => {
      // 'error' without a pid means spawn itself failed; 'close' may never follow.
      if (child.pid === undefined) {
        hasExited = true;
        resolve({ code: null, signal: null, stderrTail: '', spawnError: err, killedByUs });
      }
    });
    child.once('close', (code, signal) => {
      hasExited = true;
      resolve({ code, signal, stderrTail: tail.toString('utf8'), killedByUs });
    });
  });

  function signalGroup(signal: NodeJS.Signals): void {
    const pid = child.pid;
    if (pid === undefined) return;
    try {
      // The group id is the leader's pid, which stays reserved while any member is alive.
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already (the process exited, its stdio is not closed yet).
    }
  }

  let killTimer: NodeJS.Timeout | undefined;
  function kill(): void {
    if (hasExited || child.pid === undefined || killTimer !== undefined) return;
    killedByUs = true;
    signalGroup('SIGTERM');
    // Output nobody will read would otherwise sit in a paused pipe forever, and 'close' (hence `exited`) never come.
    child.stdin?.destroy();
    child.stdout?.destroy();
    killTimer = setTimeout(() => {
      if (!hasExited) signalGroup('SIGKILL');
    }, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    killTimer.unref();
  }
  void exited.then(() => clearTimeout(killTimer));

  return { child, stdin: child.stdin, stdout: child.stdout, exited, kill };
}

/** Whether this exit is a failure of the process itself, rather than fallout from us stopping it. */
export function failedOnItsOwn(exit: ProcessExit): boolean {
  if (exit.spawnError !== undefined) return true;
  // A code (even after our SIGTERM was sent) means the tool decided to exit: its own verdict, e.g. "unexpected end of file".
  if (exit.code !== null) return exit.code !== 0;
  return !exit.killedByUs && exit.signal !== 'SIGPIPE';
}

/** "exit code 1" / "killed by SIGKILL", for messages. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

/**
 * Why a process could not start, as the error code both engines and artifacts use and a message an operator can
 * act on, e.g. `pg_dump not found on PATH; install the PostgreSQL client tools on the worker`.
 */
export function startFailure(
  name: string,
  command: string,
  err: NodeJS.ErrnoException,
  installHint: string,
): { code: 'TOOL_NOT_FOUND' | 'TOOL_FAILED'; message: string } {
  if (err.code === 'ENOENT') {
    const where = command.includes('/') ? `at ${command}` : 'on PATH';
    return { code: 'TOOL_NOT_FOUND', message: `${name} not found ${where}; ${installHint}` };
  }
  return { code: 'TOOL_FAILED', message: `could not start ${name}: ${err.message}` };
}
