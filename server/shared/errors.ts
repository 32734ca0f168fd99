/** Every failure a verb can report. The HTTP edge maps codes to statuses in one place (server/http/errors.ts). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'CONFLICT'
  | 'INVALID_STATE'
  | 'CONNECTION_FAILED'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INTERNAL';

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

// 40 characters: a uuid (36) fits whole; a hostile 5000-character id is not echoed back (or logged) in full.
const SHOWN_ID_CHARS = 40;

/** An id as error messages show it: at most SHOWN_ID_CHARS characters, then "…". */
export function shownId(id: string): string {
  return id.length > SHOWN_ID_CHARS ? `${id.slice(0, SHOWN_ID_CHARS)}…` : id;
}

export function notFound(what: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${what} ${shownId(id)} not found`);
}
