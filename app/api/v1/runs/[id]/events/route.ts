import { route } from '@/server/http/route';
import { watchRun } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const dynamic = 'force-dynamic';

export const GET = route<{ id: string }>(async ({ verb, params, req }) => {
  const stream = await watchRun(verb, params.id, req.signal);
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
