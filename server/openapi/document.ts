import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodType } from 'zod';
import { OPERATIONS, type Named, type Operation } from './operations';
import { ErrorBody } from './schemas/common';
import { z } from './zod';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export const API_PREFIX = '/api/v1';

const ERROR_WORDS: Record<number, string> = {
  400: '`BAD_REQUEST`: the body is not valid JSON (or not UTF-8)',
  401: '`UNAUTHENTICATED`: no, unknown, revoked or expired credentials',
  403: "`FORBIDDEN` (the role lacks the permission), `SELF_APPROVAL`, `SESSION_REQUIRED`",
  404: '`NOT_FOUND`: unknown (or malformed: every id in a path is a uuid) id',
  409: '`CONFLICT`, `INVALID_STATE`, `EXPIRED`, `ALREADY_DECIDED`; `IDEMPOTENCY_IN_PROGRESS` (a request with this Idempotency-Key is still running; `Retry-After`)',
  413: '`PAYLOAD_TOO_LARGE`: a body over 1 MiB',
  415: '`UNSUPPORTED_MEDIA_TYPE`: a non-empty body that is not `application/json`',
  422: '`VALIDATION` (the message and `details.issues` name the field), `CONNECTION_FAILED`; `IDEMPOTENCY_KEY_REUSED` (the key was used for another request)',
  429: '`RATE_LIMITED`: the per-minute budget of this token or user is spent; retry after `Retry-After` seconds',
  500: '`INTERNAL`: a bug; details are in the server log only',
  502: '`CHECKSUM_MISMATCH` / `OBJECT_UNREADABLE`: no stored copy of the object verified; nothing was streamed',
  503: '`UNAVAILABLE`: an Idempotency-Key cannot be checked now (Redis unreachable); retry later with the same key',
};

const integerHeader = (description: string) => ({ description, schema: { type: 'integer' as const } });
const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': integerHeader('Requests allowed per minute for this token or user (LIFEBOAT_RATE_LIMIT_PER_MINUTE)'),
  'RateLimit-Remaining': integerHeader('Requests left in the current minute'),
  'RateLimit-Reset': integerHeader('Seconds until the current minute ends'),
  'RateLimit-Policy': { description: '`<limit>;w=60`', schema: { type: 'string' as const } },
};

/** The error statuses an operation can answer besides its own (`op.errors`), from what the route wrapper does. */
export function errorsOf(op: Operation): number[] {
  const statuses = new Set(op.errors ?? []);
  if (op.path === '/health' || op.path === '/openapi.json') return [...statuses].sort();
  // Every route() answer: credentials, permission, rate limit, hostile query strings (422), bugs.
  for (const s of [401, 403, 422, 429, 500]) statuses.add(s);
  if (op.params) statuses.add(404);
  if (op.method === 'post' || op.method === 'put' || op.method === 'patch') for (const s of [400, 413, 415]) statuses.add(s);
  // Idempotency-Key: in progress (409), reused (422), not checkable (503).
  if (op.method === 'post') for (const s of [409, 503]) statuses.add(s);
  return [...statuses].sort();
}

function operationId(op: Operation): string {
  const words = op.path
    .split('/')
    .filter(Boolean)
    .map((seg) => {
      const param = /^\{(\w+)\}$/.exec(seg);
      const word = param ? `by-${param[1]}` : seg.replace(/\.json$/, '');
      return word
        .split(/[-_.]/)
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join('');
    });
  return op.method + words.join('');
}

/** JSON Schema patterns are written without flags: zod-to-openapi keeps a regex's `/u` (the source's own flags). */
function withoutRegexFlags(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(withoutRegexFlags);
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.pattern === 'string') obj.pattern = obj.pattern.replace(/(?<!\\)\/[dgimsuvy]+$/, '');
  Object.values(obj).forEach(withoutRegexFlags);
}

/** Builds the OpenAPI 3.1 document from OPERATIONS: the verbs' own input schemas, the response schemas of ./schemas. */
export function buildOpenApiDocument(operations: readonly Operation[] = OPERATIONS): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'lbt_…',
    description: 'An API token (dashboard *Tokens*, or `npm run lifeboat -- token create`); it acts with its own role.',
  });
  registry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'next-auth.session-token',
    description: 'The dashboard session (`__Secure-next-auth.session-token` over HTTPS); sent by the browser, same origin.',
  });
  const errorRef = registry.register('Error', ErrorBody);

  // A verb's schema was built before zod was extended for OpenAPI: registered as a clone (same checks, same shape).
  const registered = new Map<string, ZodType>();
  const component = ({ name, schema }: Named): ZodType => {
    const known = registered.get(name);
    if (known) return known;
    const clone = registry.register(name, (schema as unknown as { clone(): ZodType }).clone() as never) as unknown as ZodType;
    registered.set(name, clone);
    return clone;
  };

  for (const op of operations) {
    const authenticated = op.auth !== 'public';
    const responses: Record<string, ResponseConfig> = {};
    for (const answer of op.ok) {
      const content = answer.media
        ? Object.fromEntries(Object.entries(answer.media).map(([type, schema]) => [type, { schema }]))
        : { 'application/json': { schema: answer.schema! } };
      responses[String(answer.status)] = {
        description: answer.description,
        content,
        ...(authenticated
          ? {
              headers: {
                ...RATE_LIMIT_HEADERS,
                ...(op.method === 'post' ? { 'Idempotent-Replayed': { description: '`true` on the stored first answer to a retried Idempotency-Key', schema: { type: 'string' } } } : {}),
              },
            }
          : {}),
      };
    }
    for (const status of errorsOf(op)) {
      responses[String(status)] = {
        description: ERROR_WORDS[status] ?? 'Error',
        content: { 'application/json': { schema: errorRef } },
        ...(status === 429
          ? { headers: { 'Retry-After': integerHeader('Seconds until the budget is refilled'), ...RATE_LIMIT_HEADERS } }
          : status === 409 || status === 503
            ? { headers: { 'Retry-After': integerHeader('For IDEMPOTENCY_IN_PROGRESS and UNAVAILABLE: seconds to wait') } }
            : {}),
      };
    }
    const request: RouteConfig['request'] = {};
    if (op.params) request.params = op.params;
    if (op.query) request.query = op.query;
    if (op.method === 'post') {
      request.headers = z.object({
        'Idempotency-Key': z.string().min(1).max(255).optional().openapi({
          description: 'Run this POST once: a retry with the same key and body answers the first success again (24 h, per token or user and route)',
          example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
        }),
      });
    }
    if (op.body) {
      request.body = { required: !op.bodyOptional, content: { 'application/json': { schema: component(op.body) } } };
    }
    const permission = op.permission ? `Permission: \`${op.permission}\`.` : authenticated ? 'Any signed-in caller.' : 'No credentials needed.';
    registry.registerPath({
      method: op.method,
      path: API_PREFIX + op.path,
      operationId: operationId(op),
      tags: [op.tag],
      summary: op.summary,
      description: [permission, op.auth === 'session' ? 'A signed-in session only.' : '', op.description ?? ''].filter(Boolean).join(' '),
      security: op.auth === 'public' ? [] : op.auth === 'session' ? [{ sessionCookie: [] }] : [{ bearerToken: [] }, { sessionCookie: [] }],
      ...(op.permission ? { 'x-permission': op.permission } : {}),
      request,
      responses,
    } as RouteConfig);
  }

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lifeboat API',
      version: '1',
      description:
        'JSON over HTTP under /api/v1 (docs/API.md). Errors: `{ error: { code, message, details? } }`. Lists: `{ items, nextCursor }`, paged with `limit` and `cursor`. POSTs honour `Idempotency-Key`. Each token and user has a per-minute rate limit (`RateLimit-*` headers, 429 with `Retry-After`).',
    },
    servers: [{ url: '/' }],
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
  });
  withoutRegexFlags(document);
  return document;
}

let cached: OpenApiDocument | undefined;

/** The document of this build (built once per process: the operations change only with a deployment). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument();
  return cached;
}
