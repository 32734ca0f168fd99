import { route } from '@/server/http/route';
import { exportRecoveryKit, readFormatDoc } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

export const dynamic = 'force-dynamic';

/** `{ password }` from a signed-in admin session → the kit as a text download (see exportRecoveryKit). */
export const POST = route(async ({ verb, body }) => {
  const kit = await exportRecoveryKit(verb, await readFormatDoc(), await body());
  return new Response(kit, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="lifeboat-recovery-kit-${new Date().toISOString().slice(0, 10)}.txt"`,
      'cache-control': 'no-store',
    },
  });
});

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
