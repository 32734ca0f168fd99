import { errorResponse } from '@/server/http/errors';
import { otherMethods } from '@/server/http/fallbacks';
import { resolveActor } from '@/server/http/route';
import { getMetrics } from '@/server/metrics';

export const dynamic = 'force-dynamic';

/**
 * `GET /metrics`: Prometheus text format (server/metrics). Scrapers authenticate with an API token
 * (`authorization: { credentials: <token> }` in the scrape config); any role has `metrics:read`.
 */
export async function GET(req: Request): Promise<Response> {
  try {
    // A bearer token only: a scraper has no session, so a request without one has no actor (401), not a cookie look-up.
    const actor = req.headers.get('authorization') ? await resolveActor(req) : null;
    const { contentType, text } = await getMetrics({ actor });
    return new Response(text, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  } catch (e) {
    return errorResponse(e);
  }
}

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
