import type { NextRequest } from 'next/server';
import { getServerSession } from 'next-auth/next';
import { authOptions } from '@/server/auth/auth-options';
import { authenticateApiToken } from '@/server/auth/api-tokens';
import { actorForUser } from '@/server/auth/users';
import type { Actor } from '@/server/auth/permissions';
import type { VerbContext } from '@/server/shared/context';
import { z } from 'zod';
import { DomainError, notFound } from '@/server/shared/errors';
import { assertCleanInput } from '@/server/shared/text';
import { errorResponse, json } from './errors';
import { idempotent } from './idempotency';
import { rateLimitHeaders, takeRequest, type RateLimitState } from './rate-limit';
import { readJsonBody } from './read-body';
import { requestInfo } from './request-info';

type Params = Record<string, string>;

export interface RouteContext<P extends Params> {
  req: NextRequest;
  /** Null when nobody is signed in: verbs decide (they throw UNAUTHENTICATED). */
  actor: Actor | null;
  /** What to pass a verb as its first argument: `{ actor }`, so each verb opens its own transaction. */
  verb: VerbContext;
  params: P;
  /** Parsed JSON body (`{}` when empty); see readJsonBody for what is refused before the handler runs. */
  body: () => Promise<unknown>;
  query: Record<string, string>;
}

/** Methods whose body is read (and refused when oversized, not JSON or unclean) before the handler runs. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const Uuid = z.string().uuid();

/**
 * Every id in this API's paths is a uuid (`[id]`, `[destinationId]`), so anything else names nothing: 404 here,
 * before a verb hands it to PostgreSQL (whose uuid cast error would be a 500). The noun comes from the path: ids sit
 * right after their collection (`/api/v1/recovery-points/{id}` → "recovery point").
 */
function assertIdParams(pathname: string, params: Record<string, string | string[]>): void {
  for (const [name, value] of Object.entries(params)) {
    if (name !== 'id' && !name.endsWith('Id')) continue;
    if (typeof value === 'string' && Uuid.safeParse(value).success) continue;
    const collection = pathname.split('/')[3] ?? 'resource';
    const noun = name === 'id' ? collection.replace(/ies$/, 'y').replace(/s$/, '').replaceAll('-', ' ') : name.slice(0, -2);
    throw notFound(noun, String(value));
  }
}

/**
 * Wraps a route handler: resolves the actor (bearer token or session cookie), counts the request against the
 * actor's rate limit (429 `RATE_LIMITED` with `Retry-After` once spent; `RateLimit-*` headers on every answer to an
 * authenticated request, see rate-limit.ts), refuses hostile input at the edge (control characters in any path
 * parameter, query parameter or body string → 422 naming it, e.g. `query.targetId`; non-uuid ids → 404; bodies over
 * 1 MiB → 413, not JSON → 415), runs a POST once per `Idempotency-Key` (idempotency.ts) and maps every error to
 * `{ error: { code, message } }`. Permissions are checked by the verb the handler calls.
 */
export function route<P extends Params = Params>(
  handler: (ctx: RouteContext<P>) => Promise<unknown>,
  opts: { status?: number } = {},
) {
  return async (req: NextRequest, ctx: { params: Promise<P> }): Promise<Response> => {
    let limit: RateLimitState | null = null;
    let res: Response;
    try {
      const resolved = await resolveActor(req);
      // The audit trail's "where from": request id, client address, user agent (server/http/request-info.ts).
      const actor = resolved && { ...resolved, request: requestInfo(req.headers) };
      // Counted before anything else is looked at: a client sending bad requests in a loop is throttled too.
      limit = await takeRequest(actor);
      const params = (await ctx.params) ?? ({} as P);
      assertCleanInput(params, 'params');
      assertIdParams(req.nextUrl.pathname, params);
      const query = Object.fromEntries(req.nextUrl.searchParams.entries());
      assertCleanInput(query, 'query');
      // Read up front where a body belongs, so that handlers which ignore it still refuse a hostile one.
      const bodyValue: unknown = BODY_METHODS.has(req.method) ? await readJsonBody(req) : undefined;
      let body: Promise<unknown> | undefined = bodyValue === undefined ? undefined : Promise.resolve(bodyValue);
      const execute = async (): Promise<Response> => {
        const result = await handler({
          req,
          actor,
          verb: { actor },
          params,
          query,
          body: () => (body ??= readJsonBody(req)),
        });
        return result instanceof Response ? result : json(result, opts.status ?? 200);
      };
      res = req.method === 'POST' ? await idempotent(req, actor, bodyValue, execute) : await execute();
    } catch (e) {
      res = errorResponse(e);
    }
    if (limit) withHeaders(res, rateLimitHeaders(limit));
    return res;
  };
}

/** Sets headers on an answer; one whose headers are immutable (a fetched Response) is answered as it is. */
function withHeaders(res: Response, headers: Record<string, string>): void {
  try {
    for (const [name, value] of Object.entries(headers)) res.headers.set(name, value);
  } catch {
    // Immutable headers: the answer goes out without them.
  }
}

export async function resolveActor(req: Request): Promise<Actor | null> {
  const header = req.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
    const actor = await authenticateApiToken(match[1]!);
    if (!actor) throw new DomainError('UNAUTHENTICATED', 'API token is unknown, revoked or expired');
    return actor;
  }
  const session = await getServerSession(authOptions);
  const userId = (session?.user as { id?: string } | undefined)?.id;
  return userId ? actorForUser(userId) : null;
}
