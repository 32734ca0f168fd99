/**
 * An error of the HTTP edge itself, with a code the verbs never raise (`RATE_LIMITED`, `IDEMPOTENCY_KEY_REUSED`,
 * `IDEMPOTENCY_IN_PROGRESS`): answered in the API's error shape with its own status and headers (`Retry-After`).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const isHttpError = (e: unknown): e is HttpError => e instanceof HttpError;
