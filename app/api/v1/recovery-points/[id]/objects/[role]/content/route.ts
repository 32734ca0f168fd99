import { downloadObject, isDownloadError } from '@/server/downloads';
import { json } from '@/server/http/errors';
import { otherMethods } from '@/server/http/fallbacks';
import { route } from '@/server/http/route';

export const dynamic = 'force-dynamic';

// The store behind Lifeboat failed (every copy damaged or unreadable), not the request. Here rather than in
// server/http/errors.ts's map until DomainError carries these codes (see server/downloads/errors.ts).
const STORE_FAILED = 502;

/**
 * `GET /api/v1/recovery-points/{id}/objects/{role}/content`: the object decoded, as an attachment. The checksum is
 * verified before the first byte (nothing is streamed from an object that fails it); see downloadObject.
 */
export const GET = route<{ id: string; role: string }>(async ({ verb, params }) => {
  try {
    const file = await downloadObject(verb, params.id, params.role);
    return new Response(file.stream, {
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${file.filename}"`,
        ...(file.contentLength !== null && { 'content-length': String(file.contentLength) }),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Proxies must pass it on as it comes instead of buffering a database dump.
        'x-accel-buffering': 'no',
      },
    });
  } catch (e) {
    if (isDownloadError(e)) return json({ error: { code: e.code, message: e.message, details: e.details } }, STORE_FAILED);
    throw e;
  }
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
