import type { NextRequest } from 'next/server';
import { getServerSession } from 'next-auth/next';
import { authOptions } from '@/server/auth/auth-options';
import { authenticateApiToken } from '@/server/auth/api-tokens';
import { actorForUser } from '@/server/auth/users';
import type { Actor } from '@/server/auth/permissions';
import { DomainError } from '@/server/shared/errors';
import { errorResponse, json } from './errors';

type Params = Record<string, string>;

export interface RouteContext<P extends Params> {
  req: NextRequest;
  /** Null when nobody is signed in: verbs decide (they throw UNAUTHENTICATED). */
  actor: Actor | null;
  params: P;
  /** Parsed JSON body; a malformed body is a 400 before the handler runs. */
  body: () => Promise<unknown>;
  query: Record<string, string>;
}

/**
 * Wraps a route handler: resolves the actor (bearer token or session cookie), parses the body on demand and maps
 * every error to `{ error: { code, message } }`. Permissions are checked by the verb the handler calls.
 */
export function route<P extends Params = Params>(
  handler: (ctx: RouteContext<P>) => Promise<unknown>,
  opts: { status?: number } = {},
) {
  return async (req: NextRequest, ctx: { params: Promise<P> }): Promise<Response> => {
    try {
      const actor = await resolveActor(req);
      const params = (await ctx.params) ?? ({} as P);
      const result = await handler({
        req,
        actor,
        params,
        query: Object.fromEntries(req.nextUrl.searchParams.entries()),
        body: async () => {
          const text = await req.text();
          if (!text) return {};
          try {
            return JSON.parse(text);
          } catch {
            throw new DomainError('BAD_REQUEST', 'request body is not valid JSON');
          }
        },
      });
      if (result instanceof Response) return result;
      return json(result, opts.status ?? 200);
    } catch (e) {
      return errorResponse(e);
    }
  };
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
