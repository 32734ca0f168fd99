import { exportAuditEvents } from '@/server/audit-export';
import { otherMethods } from '@/server/http/fallbacks';
import { route } from '@/server/http/route';

export const dynamic = 'force-dynamic';

/** `GET /api/v1/audit/export?format=csv|json|ndjson&actor=&action=&targetType=&targetId=&from=&to=`: a streamed download. */
export const GET = route(async ({ verb, query }) => {
  const file = await exportAuditEvents(verb, query);
  return new Response(file.stream, {
    headers: {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'no-store',
      // Proxies must pass it on as it comes instead of buffering 100k events.
      'x-accel-buffering': 'no',
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
