/**
 * Exit codes of the remote CLI (docs/CLI.md, "Exit codes"): a script tells "the backup failed" from "I called it
 * wrongly" from "my token is wrong" from "the server is not there" by the status alone.
 */
export const EXIT = {
  OK: 0,
  /** A run that ended FAILED or CANCELLED while followed, a broken audit chain, a server error (5xx), a wait that timed out. */
  FAILED: 1,
  /** Bad arguments or options, an unknown source, an API refusal of the input (4xx other than 401/403). */
  USAGE: 2,
  /** No token, or the API answered 401 (unknown, revoked, expired token) or 403 (the role may not). */
  AUTH: 3,
  /** The server could not be reached, did not answer in time, or what answered is not the Lifeboat API. */
  NETWORK: 4,
  /** Ctrl-C while following a run (128 + SIGINT, as shells report it); the run goes on on the server. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every error the CLI reports: a sentence for people, an exit code for scripts, and the API's code when there is one. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code?: string,
    readonly status?: number,
    /** The API's own message, without the code and status this message adds (what `--json` errors carry). */
    readonly apiMessage?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad input on the command line (exit 2). */
export const usageError = (message: string) => new CliError(message, EXIT.USAGE, 'USAGE');

/** The exit code for an HTTP error status of the API: 401/403 auth, other 4xx usage, anything else a failure. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status >= 400 && status < 500) return EXIT.USAGE;
  return EXIT.FAILED;
}

/** An error answer of the API (`{ error: { code, message } }`), its exit code from the status. */
export function apiError(status: number, code: string, message: string): CliError {
  return new CliError(`${code}: ${message} (HTTP ${status})`, exitCodeForStatus(status), code, status, message);
}
