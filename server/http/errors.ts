import { ZodError } from 'zod';
import { isDomainError, type ErrorCode } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';

/** The one place where error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  VALIDATION: 422,
  CONNECTION_FAILED: 422,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

export function errorResponse(e: unknown): Response {
  if (e instanceof ZodError) {
    const issues = e.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    const message = issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    return json({ error: { code: 'VALIDATION', message, details: { issues } } }, 422);
  }
  if (isDomainError(e)) {
    return json({ error: { code: e.code, message: e.message, details: e.details } }, STATUS[e.code]);
  }
  // Unknown errors are logged with their stack and answered without it.
  logger.error({ err: e }, 'unhandled error in route');
  return json({ error: { code: 'INTERNAL', message: 'Internal error; see the server log' } }, 500);
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
