import { route } from '@/server/http/route';
import { exportRecoveryKit, readFormatDoc } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

export const dynamic = 'force-dynamic';

export const GET = route(async ({ verb }) => {
  const kit = await exportRecoveryKit(verb, await readFormatDoc());
  return new Response(kit, {
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="lifeboat-recovery-kit-${new Date().toISOString().slice(0, 10)}.txt"`,
      'cache-control': 'no-store',
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
