/** Every failure a verb can report. The HTTP edge maps codes to statuses in one place (server/http/errors.ts). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'CONFLICT'
  | 'INVALID_STATE'
  // Restore requests (server/approvals): the requester deciding on their own request, a request past its expiry,
  // a second decision by one approver on the same parameters.
  | 'SELF_APPROVAL'
  | 'EXPIRED'
  | 'ALREADY_DECIDED'
  // Identity: an action only a signed-in person may take (the recovery kit) asked for with an API token.
  | 'SESSION_REQUIRED'
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
