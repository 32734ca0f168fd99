import { shownId } from '@/server/shared/errors';
import { json } from './errors';

/** The methods a route file answers; Next.js itself answers HEAD (from GET) and OPTIONS. */
export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];
type Fallback = (req: Request) => Response;

/**
 * 405 handlers, in the API's error shape and with an `Allow` header, for the methods a route file does not
 * implement. Next.js would answer those with an empty 405. Every route file ends with
 * `export const { PUT, PATCH, DELETE } = otherMethods('GET', 'POST');` (a test checks that none is missing).
 */
export function otherMethods(...allowed: RouteMethod[]): Record<RouteMethod, Fallback> {
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  const handler: Fallback = (req) => {
    const res = json({ error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed here; use ${allowed.join(' or ')}` } }, 405);
    res.headers.set('allow', allow);
    return res;
  };
  return Object.fromEntries(ROUTE_METHODS.map((m) => [m, handler])) as Record<RouteMethod, Fallback>;
}

/** The answer for any /api path no route file matches (app/api/[...notFound]/route.ts). */
export function routeNotFound(req: Request): Response {
  const path = new URL(req.url).pathname;
  return json({ error: { code: 'NOT_FOUND', message: `no API route ${req.method} ${shownId(path)}` } }, 404);
}
