/**
 * One external tool in a byte pipeline (zstd, age): stdin and stdout piped, stderr's tail kept for the error
 * message, and enough bookkeeping to tell a tool that failed from one we killed.
 *
 * Close to engines/postgres/spawn-tool.ts; kept separate because a pipeline stage needs both ends piped and must
 * know whether a signal was ours. Worth merging into one shared helper once a third user appears.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

// Enough for the last few error lines of a tool without holding a chatty stderr in memory.
const STDERR_TAIL_BYTES = 8 * 1024;
// zstd and age hold no connections or locks: a tool that ignores SIGTERM this long is stuck, not finishing up.
const KILL_GRACE_MS = 2_000;

export interface ArtifactTools {
  /** Path or name of the zstd binary; default `zstd` from PATH. */
  zstd?: string;
  /** Path or name of the age binary; default `age` from PATH. */
  age?: string;
}

/**
 * The tools get PATH and nothing else: the worker's environment holds secrets, and zstd reads ZSTD_CLEVEL and
 * ZSTD_NBTHREADS, which would silently override the level recorded in the manifest.
 */
export function toolEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
}

export interface StageSpec {
  /** Name for messages, e.g. `zstd -d`. */
  label: string;
  command: string;
  args: readonly string[];
}

export interface StageExit {
  /** Exit code, or null if killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last few KB of stderr, as text. */
  stderrTail: string;
  /** Set when the process could not be started at all (ENOENT: not installed). */
  spawnError?: NodeJS.ErrnoException;
  /** We asked it to stop (cancellation or another stage's failure); its signal exit is then not a failure of its own. */
  killedByUs: boolean;
}

export interface ChildStage {
  spec: StageSpec;
  child: ChildProcessWithoutNullStreams;
  /** Settles (never rejects) once the process has exited and its stdout/stderr are closed, or it failed to start. */
  exited: Promise<StageExit>;
  /**
   * SIGTERM now, SIGKILL after a grace period if still alive, and drop our ends of stdin/stdout: output nobody will
   * read would otherwise sit in a paused socket forever and 'close' (hence `exited`) would never come.
   * Safe to call repeatedly or after exit.
   */
  kill(): void;
}

export function spawnStage(spec: StageSpec, env: Record<string, string>): ChildStage {
  const child = spawn(spec.command, [...spec.args], {
    // Cast only because Next's types mark NODE_ENV as required; the tool gets exactly this environment.
    env: env as NodeJS.ProcessEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  // EPIPE/ECONNRESET here only mean the tool stopped reading; its exit status says why, so that is what we report.
  child.stdin.on('error', () => undefined);
  child.stdout.on('error', () => undefined);
  child.stderr.on('error', () => undefined);

  let tail = Buffer.alloc(0);
  child.stderr.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > STDERR_TAIL_BYTES) tail = tail.subarray(tail.length - STDERR_TAIL_BYTES);
  });

  let hasExited = false;
  let killedByUs = false;
  const exited = new Promise<StageExit>((resolve) => {
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

  let killTimer: NodeJS.Timeout | undefined;
  function kill(): void {
    if (hasExited || child.pid === undefined || killTimer !== undefined) return;
    killedByUs = true;
    // Returns false (harmlessly) if the process has exited but its stdio is not closed yet.
    child.kill('SIGTERM');
    child.stdin.destroy();
    child.stdout.destroy();
    killTimer = setTimeout(() => {
      if (!hasExited) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    killTimer.unref();
  }
  void exited.then(() => clearTimeout(killTimer));

  return { spec, child, exited, kill };
}

/** Whether this exit is a failure of the stage itself, rather than fallout from us stopping it. */
export function failedOnItsOwn(exit: StageExit): boolean {
  if (exit.spawnError !== undefined) return true;
  // A code (even after our SIGTERM was sent) means the tool decided to exit: its own verdict, e.g. "unexpected end of file".
  if (exit.code !== null) return exit.code !== 0;
  return !exit.killedByUs && exit.signal !== 'SIGPIPE';
}

/**
 * The useful part of a tool's stderr as one line: its error lines without the `zstd:`/`age: error:` prefixes
 * and without age's "report unexpected errors at …" footer, e.g. `no identity matched any of the recipients`.
 */
export function summarizeStderr(stderrTail: string): string {
  const lines = stderrTail
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/report unexpected or unhelpful errors/i.test(line));
  // Three lines is enough to read in a UI.
  return lines
    .slice(-3)
    .map((line) => line.replace(/^(zstd|age):\s*(error:\s*)?/i, '').replace(/\s+/g, ' '))
    .join(' / ');
}

/** "exit code 1" / "killed by SIGKILL", for messages. */
export function describeExit(exit: StageExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
