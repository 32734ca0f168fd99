/**
 * Running an admin's command through the one process helper (`server/process`): argv only (no shell ever reads it),
 * the allow-listed environment plus the source's `env` and `secretEnv`, its own process group (a timeout or a
 * cancellation stops everything it started), and an exit status judged with the stderr tail, secrets redacted.
 */
import { constants } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';

import { EngineError } from '../engine';
import { childEnv, describeExit, spawnProcess, type ProcessExit, type SpawnedProcess } from '@/server/process';

import type { CommandConfig, CommandSecrets } from './config';

/**
 * Sets the child's working directory: `env -C DIR -- PROGRAM ARGS…` execs PROGRAM in DIR with the environment it was
 * given, so the program keeps its pid, process group and argv. (`spawnProcess` has no `cwd` option yet; GNU
 * coreutils' env ≥ 8.28 has `-C`. A program path holding "=" would be read as a variable: the config refuses one.)
 */
export const ENV_BINARY = '/usr/bin/env';
/** What a redacted secret looks like in a message. */
export const REDACTED = '[redacted]';
// The last lines are the ones that say why; more would drown the message in a tool's progress chatter.
const STDERR_LINES = 6;
const STDERR_MESSAGE_CHARS = 2000;
// A secret shorter than this is not looked for inside argv (a one-letter value would match everywhere); it is still
// redacted from messages.
const MIN_SECRET_IN_ARGV = 4;
// How much of a secret cut off at the start of the stderr tail is still redacted (the tail keeps the last bytes).
const MIN_SECRET_FRAGMENT = 3;

export interface PreparedCommand {
  /** Resolved absolute path of the program. */
  program: string;
  /** Arguments after the program, placeholders replaced. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The private scratch directory the placeholder names (0700), removed by `cleanup`. */
  scratch: string;
  /** Values to redact from anything shown. */
  secrets: string[];
  cleanup(): Promise<void>;
}

/** A private scratch directory (mkdtemp makes it 0700) under the worker's temp directory. */
export function makeScratch(purpose: 'out' | 'in'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `lifeboat-command-${purpose}-`));
}

/**
 * Where `program` is: an absolute path must be an executable file; a bare name is looked up on `pathVariable` (the
 * PATH the child gets: the worker's). Rejects with a readable `TOOL_NOT_FOUND`.
 */
export async function resolveProgram(program: string, pathVariable: string = childEnv().PATH ?? ''): Promise<string> {
  if (path.isAbsolute(program)) {
    if (await isExecutableFile(program)) return program;
    throw new EngineError('TOOL_NOT_FOUND', `${program} does not exist on this worker or is not an executable file`);
  }
  for (const dir of pathVariable.split(':')) {
    // An empty or relative PATH entry would mean "the current directory": never a place to take programs from.
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, program);
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new EngineError('TOOL_NOT_FOUND', `${program} not found on the worker's PATH (${pathVariable || 'empty'}); install it on the worker or give its absolute path`);
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Secret values, longest first (so a secret containing another is redacted whole). */
export function secretValues(secrets: CommandSecrets): string[] {
  return [...new Set(Object.values(secrets.secretEnv).filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every secret value replaced by `[redacted]`, including the end of a secret that the stderr tail cut off
 * at its start.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    out = out.split(secret).join(REDACTED);
    for (let n = Math.min(secret.length - 1, out.length); n >= MIN_SECRET_FRAGMENT; n -= 1) {
      if (out.startsWith(secret.slice(-n))) {
        out = REDACTED + out.slice(n);
        break;
      }
    }
  }
  return out;
}

/** The last meaningful lines of a stderr tail, redacted, as one line for a message. */
export function summarizeOutput(tail: string, secrets: readonly string[]): string {
  const lines = redact(tail, secrets)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(-STDERR_LINES)
    .join(' / ');
  return lines.length > STDERR_MESSAGE_CHARS ? `…${lines.slice(-STDERR_MESSAGE_CHARS)}` : lines;
}

/**
 * Resolves the program, makes the scratch directory, replaces `placeholder` in the arguments with it and builds the
 * environment. Refuses (`INVALID_CONFIG`) an argv that carries a secret's value, and a `cwd` that is not a directory.
 * The caller must call `cleanup` (also after a failure of its own).
 */
export async function prepareCommand(
  argv: readonly string[],
  placeholder: string,
  purpose: 'out' | 'in',
  config: CommandConfig,
  secrets: CommandSecrets,
): Promise<PreparedCommand> {
  const values = secretValues(secrets);
  assertNoSecretIn(argv, secrets);
  if (config.cwd !== undefined) {
    const st = await stat(config.cwd).catch(() => undefined);
    if (!st?.isDirectory()) throw new EngineError('INVALID_CONFIG', `cwd ${config.cwd} is not a directory on this worker`);
  }
  const program = await resolveProgram(argv[0]!);
  const scratch = await makeScratch(purpose);
  return {
    program,
    args: argv.slice(1).map((a) => a.split(placeholder).join(scratch)),
    cwd: config.cwd ?? scratch,
    // secretEnv wins over env of the same name: the sealed value is the one meant.
    env: { ...config.env, ...secrets.secretEnv },
    scratch,
    secrets: values,
    cleanup: () => rm(scratch, { recursive: true, force: true }),
  };
}

/** The same program and environment for another argv on the same scratch directory (the check after a capture). */
export async function prepareSibling(base: PreparedCommand, argv: readonly string[], placeholder: string, secrets: CommandSecrets): Promise<PreparedCommand> {
  assertNoSecretIn(argv, secrets);
  const program = await resolveProgram(argv[0]!);
  return { ...base, program, args: argv.slice(1).map((a) => a.split(placeholder).join(base.scratch)), cleanup: () => Promise.resolve() };
}

function assertNoSecretIn(argv: readonly string[], secrets: CommandSecrets): void {
  for (const [name, value] of Object.entries(secrets.secretEnv)) {
    if (value.length < MIN_SECRET_IN_ARGV) continue;
    const i = argv.findIndex((a) => a.includes(value));
    // Any local user can read a process's argv (/proc/<pid>/cmdline): a secret there is a secret shown to everyone.
    if (i >= 0) throw new EngineError('INVALID_CONFIG', `argument ${i} holds the value of secretEnv ${name}: pass secrets only through secretEnv, never in argv`);
  }
}

export interface CommandOutcome {
  exit: ProcessExit;
  timedOut: boolean;
  cancelled: boolean;
}

export interface RunningCommand {
  process: SpawnedProcess;
  /** Settles (never rejects) once the process exited. */
  outcome: Promise<CommandOutcome>;
  /** Stops it (process group: SIGTERM, then SIGKILL). */
  kill(): void;
}

/**
 * Starts the prepared command. `timeoutSeconds` stops it (`timedOut`), an abort of `signal` too (`cancelled`).
 */
export function startCommand(
  prepared: PreparedCommand,
  options: { stdin: 'ignore' | 'pipe'; stdout: 'ignore' | 'pipe' | Writable; timeoutSeconds: number; signal?: AbortSignal },
): RunningCommand {
  const child = spawnProcess({
    command: ENV_BINARY,
    args: ['-C', prepared.cwd, '--', prepared.program, ...prepared.args],
    env: prepared.env,
    stdin: options.stdin,
    stdout: options.stdout,
  });
  let timedOut = false;
  let cancelled = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, options.timeoutSeconds * 1000);
  timer.unref();
  const onAbort = () => {
    cancelled = true;
    child.kill();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const outcome = child.exited.then((exit) => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    return { exit, timedOut, cancelled };
  });
  return { process: child, outcome, kill: () => child.kill() };
}

/**
 * Why a run failed, or undefined if it exited 0. `what` names it in the message ("capture command kubectl").
 * Cancellation wins over everything: the run stopped because someone asked.
 */
export function commandFailure(what: string, outcome: CommandOutcome, secrets: readonly string[], timeoutSeconds: number): EngineError | undefined {
  const { exit } = outcome;
  const tail = summarizeOutput(exit.stderrTail, secrets);
  const says = tail === '' ? '' : `: ${tail}`;
  if (outcome.cancelled) return new EngineError('CANCELLED', `${what} cancelled`);
  if (outcome.timedOut) return new EngineError('TOOL_FAILED', `${what} timed out after ${timeoutSeconds} s and was stopped${says}`);
  if (exit.spawnError !== undefined) {
    return exit.spawnError.code === 'ENOENT'
      ? new EngineError('TOOL_NOT_FOUND', `${ENV_BINARY} not found on this worker; capture commands need GNU coreutils' env (it sets their working directory)`)
      : new EngineError('TOOL_FAILED', `could not start ${what}: ${exit.spawnError.message}`);
  }
  if (exit.code === 0) return undefined;
  // env's own failures, before the program ran (it was removed or its directory went away since the check).
  if (exit.stderrTail.startsWith(`${ENV_BINARY}:`)) {
    if (exit.code === 125) return new EngineError('INVALID_CONFIG', `${what} could not start in its working directory${says}`);
    if (exit.code === 126 || exit.code === 127) return new EngineError('TOOL_NOT_FOUND', `${what} could not be started${says}`);
  }
  return new EngineError('TOOL_FAILED', `${what} failed (${describeExit(exit)})${says}`);
}

/** "capture command kubectl" */
export function describeCommand(role: 'capture' | 'check' | 'restore', argv: readonly string[]): string {
  return `${role} command ${path.basename(argv[0] ?? '')}`;
}
