import { route } from '@/server/http/route';
import { listRecoveryPoints } from '@/server/recovery-points';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => ({ items: await listRecoveryPoints(verb, params.id) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
