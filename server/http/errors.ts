import { ZodError } from 'zod';
import { isDomainError, type ErrorCode } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { domainErrorFromPrisma } from '@/server/shared/prisma-errors';
import { isHttpError } from './http-error';

/** The one place where error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  SELF_APPROVAL: 403,
  EXPIRED: 409,
  ALREADY_DECIDED: 409,
  SESSION_REQUIRED: 403,
  VALIDATION: 422,
  CONNECTION_FAILED: 422,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

// An answer is read by a person or a form: 20 issues and 1000 characters say what is wrong. A hostile body (5000
// unknown keys, a 20 000-element array of wrong types) would otherwise be echoed back at many times its size.
const MAX_ISSUES = 20;
const MAX_MESSAGE_CHARS = 1_000;
const MAX_ISSUE_CHARS = 200;
const MAX_PATH_SEGMENTS = 40;

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

export function errorResponse(e: unknown): Response {
  if (isHttpError(e)) {
    const res = json({ error: { code: e.code, message: cut(e.message, MAX_MESSAGE_CHARS), ...(e.details === undefined ? {} : { details: e.details }) } }, e.status);
    for (const [name, value] of Object.entries(e.headers)) res.headers.set(name, value);
    return res;
  }
  if (e instanceof ZodError) {
    const issues = e.issues.slice(0, MAX_ISSUES).map((i) => ({
      path: i.path.slice(0, MAX_PATH_SEGMENTS).map((p) => cut(String(p), MAX_ISSUE_CHARS)),
      message: cut(i.message, MAX_ISSUE_CHARS),
    }));
    const more = e.issues.length > MAX_ISSUES ? `; and ${e.issues.length - MAX_ISSUES} more` : '';
    const message = issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ') + more;
    return json({ error: { code: 'VALIDATION', message: cut(message, MAX_MESSAGE_CHARS), details: { issues } } }, 422);
  }
  const mapped = isDomainError(e) ? e : domainErrorFromPrisma(e);
  if (mapped) {
    // The code only: a Prisma message quotes the query's arguments, which can hold what a client sent.
    if (!isDomainError(e)) logger.warn({ prismaCode: (e as { code?: unknown }).code }, 'database refused a request; answered as %s', mapped.code);
    return json({ error: { code: mapped.code, message: cut(mapped.message, MAX_MESSAGE_CHARS), details: mapped.details } }, STATUS[mapped.code]);
  }
  // Unknown errors are logged with their stack and answered without it.
  logger.error({ err: e }, 'unhandled error in route');
  return json({ error: { code: 'INTERNAL', message: 'Internal error; see the server log' } }, 500);
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
