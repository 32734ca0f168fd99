import { DomainError } from './errors';

/** A unique-constraint violation: Prisma's P2002, or SQLSTATE 23505 from a raw statement; by code, not message text. */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if ((e as { code?: unknown }).code === 'P2002') return true;
  // A raw statement's (P2010: the scheduler's multi-row inserts) carries the driver's SQLSTATE.
  const cause = asKnownRequestError(e)?.meta?.driverAdapterError?.cause;
  return String(cause?.originalCode ?? cause?.code ?? '') === '23505';
}

interface KnownRequestError {
  code: string;
  meta?: { modelName?: unknown; target?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } };
}

/** A PrismaClientKnownRequestError, by shape (the class lives in the generated client, which this file must not load). */
function asKnownRequestError(e: unknown): KnownRequestError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { name, code } = e as { name?: unknown; code?: unknown };
  return name === 'PrismaClientKnownRequestError' && typeof code === 'string' ? (e as KnownRequestError) : undefined;
}

/** `RecoveryPoint` → `recovery point`. */
const noun = (model: unknown) =>
  typeof model === 'string' && /^\w{1,60}$/.test(model) ? model.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase() : 'record';

/**
 * The Prisma errors a request can cause with input a verb did not foresee, as the DomainError the caller should
 * have thrown; undefined for everything else (those stay 500: a lost connection is not the client's fault).
 * Verbs that can word it better (`a user with email … already exists`) still catch their own; this is the net
 * under them, so a race or a missed bound answers 4xx instead of 500.
 */
export function domainErrorFromPrisma(e: unknown): DomainError | undefined {
  const known = asKnownRequestError(e);
  if (!known) return undefined;
  const what = noun(known.meta?.modelName);
  const cause = known.meta?.driverAdapterError?.cause;
  const sqlState = String(cause?.originalCode ?? cause?.code ?? '');
  switch (known.code) {
    case 'P2002': {
      const target = Array.isArray(known.meta?.target) ? known.meta.target.filter((t) => typeof t === 'string').join(', ') : '';
      return new DomainError('CONFLICT', `a ${what} with this ${target || 'value'} already exists`);
    }
    case 'P2025':
      return new DomainError('NOT_FOUND', `${what} not found`);
    case 'P2003':
    case 'P2014':
      return new DomainError('CONFLICT', `the ${what} refers to a row that does not exist or is still referenced`);
    case 'P2000':
    case 'P2020':
      return new DomainError('VALIDATION', `a value is too long or out of range for the ${what}`);
  }
  // Class 22 is PostgreSQL's "data exception" (22003 numeric, 22008 date/time out of range, 22P02 bad text
  // representation, 22021 bad encoding): the value came from the request.
  if (/^22[0-9A-Z]{3}$/.test(sqlState)) return new DomainError('VALIDATION', `a value is out of range or malformed for the ${what}`);
  return undefined;
}
