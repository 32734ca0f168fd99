import { route } from '@/server/http/route';
import { requestBackup } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params }) => requestBackup(verb, params.id), { status: 202 });

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
