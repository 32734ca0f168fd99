import { DomainError } from '@/server/shared/errors';

/**
 * A VALIDATION error about one field, shaped like zod's (`details.issues[].path`), so forms show it under the field
 * and API clients read the same structure whether zod or a catalog lookup refused the value.
 */
export function fieldError(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field}: ${message}`, { issues: [{ path: [field], message }] });
}
