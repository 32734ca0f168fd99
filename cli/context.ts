import type { Command } from 'commander';
import { ApiClient } from './client';
import { redact, resolveConnection, type CliEnv } from './config';
import { EXIT, usageError, type ExitCode } from './errors';
import { shown } from './format';
import { createProgress, type ProgressStream } from './progress';
import type { Run } from './schemas';
import type { ReadText } from './target';
import { followRun } from './wait';

/** Everything the CLI touches outside itself, so that tests run it in-process with their own streams. */
export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: ProgressStream;
  env: CliEnv;
  readText: ReadText;
  /** Aborted on Ctrl-C: a followed run stops being followed (it goes on on the server). */
  signal?: AbortSignal;
  /** Poll interval while following a run (wait.ts POLL_MS by default). */
  pollMs?: number;
}

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  quiet?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string) => UUID.test(value.trim());

/** An id argument: a uuid, else a usage error naming what was expected. */
export function idArg(value: string, noun: string): string {
  const v = value.trim();
  if (!isUuid(v)) throw usageError(`${noun} must be a ${noun} id (a uuid such as 3f2a9c1e-…), not "${shown(v, 40)}"`);
  return v.toLowerCase();
}

/** `--timeout <seconds>` → milliseconds. */
export function timeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw usageError(`--timeout must be a whole number of seconds (at least 1), not "${shown(value, 20)}"`);
  return Number(value) * 1000;
}

/** What one command needs: the API client (made on first use), output in the chosen mode, following runs. */
export class CommandContext {
  private apiClient: ApiClient | null = null;
  /** The status the command ends with, unless it throws. */
  exitCode: ExitCode = EXIT.OK;

  constructor(
    private readonly io: CliIo,
    private readonly globals: GlobalOptions,
    private readonly secrets: readonly string[],
    private readonly userAgent: string,
  ) {}

  get json(): boolean {
    return !!this.globals.json;
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(resolveConnection(this.globals, this.io.env), { userAgent: this.userAgent, signal: this.io.signal });
    return this.apiClient;
  }

  /** Human output (stdout), dropped with `--json`, where stdout holds the JSON answer only. */
  say(text: string): void {
    if (!this.json) this.io.stdout.write(redact(`${text}\n`, this.secrets));
  }

  /** Human output that is news rather than the answer (a run failed, a hint): stderr, also with `--json`. */
  tell(text: string): void {
    if (!this.json) this.io.stderr.write(redact(`${text}\n`, this.secrets));
  }

  /** The command's answer: `value` as JSON with `--json`, else the human text. */
  answer(value: unknown, human: () => string): void {
    if (this.json) this.io.stdout.write(redact(`${JSON.stringify(value, null, 2)}\n`, this.secrets));
    else this.say(human());
  }

  /** Follows a run to its end with progress on stderr (a bar on a terminal, lines otherwise; none with --quiet). */
  follow(runId: string, timeout?: number): Promise<Run> {
    const stderr = this.io.stderr;
    const progress = createProgress({ write: (s) => stderr.write(redact(s, this.secrets)), isTTY: stderr.isTTY, columns: stderr.columns }, { enabled: !this.globals.quiet });
    return followRun(this.client, runId, { progress, pollMs: this.io.pollMs, timeoutMs: timeout, signal: this.io.signal });
  }

  readText(path: string): string {
    return this.io.readText(path);
  }
}

/** The context of the command being run (its options merged with the program's). */
export type ContextOf = (command: Command) => CommandContext;
