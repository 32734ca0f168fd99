import { route } from '@/server/http/route';
import { stopRunInstance } from '@/server/runs';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route<{ id: string }>(async ({ verb, params }) => stopRunInstance(verb, params.id));

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
