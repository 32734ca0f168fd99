import { z } from '../zod';

/**
 * Building blocks of the response schemas. Objects are open (`z.object`): a client must tolerate fields added
 * later; the contract test closes them (every field the server sends must be documented).
 */

export const IsoDateTime = z.iso.datetime({ offset: true }).openapi({ description: 'ISO 8601 date-time (UTC)', example: '2026-03-14T02:00:41.112Z' });
export const Uuid = z.uuid().openapi({ example: '5f0e8c1e-2b7a-4c3e-9d1a-6e2f0b7c4a11' });
/** Any JSON value (a stored config, a manifest, an engine's details). */
export const Json = z.unknown().openapi({ description: 'any JSON value' });
export const JsonObject = z.record(z.string(), z.unknown());
export const Role = z.enum(['VIEWER', 'OPERATOR', 'APPROVER', 'ADMIN']);

/** The API's one error shape (server/http/errors.ts). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({
        description:
          'VALIDATION, NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, CONFLICT, INVALID_STATE, … (docs/API.md, "Errors"); from the HTTP edge also RATE_LIMITED, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_IN_PROGRESS, UNAVAILABLE',
        example: 'VALIDATION',
      }),
      message: z.string().openapi({ example: 'config.host: host is required' }),
      details: z.unknown().optional().openapi({ description: 'VALIDATION: `{ issues: [{ path, message }] }`; others: code-specific' }),
    }),
  })
  .openapi({ description: 'Every 4xx/5xx answer' });

/** `{ items, nextCursor }`: a page of a list (server/http/pagination.ts). */
export function paged<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  });
}
