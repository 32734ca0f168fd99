import { errorResponse, json } from '@/server/http/errors';
import { otherMethods } from '@/server/http/fallbacks';
import { openApiDocument } from '@/server/openapi';

export const dynamic = 'force-dynamic';

/** The OpenAPI 3.1 document of /api/v1 (server/openapi), built from the verbs' schemas; public, like /health. */
export function GET(): Response {
  try {
    const res = json(openApiDocument());
    // The same for every caller and until the next deployment: a minute of caching spares rebuilding nothing.
    res.headers.set('cache-control', 'public, max-age=60');
    return res;
  } catch (e) {
    return errorResponse(e);
  }
}

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
