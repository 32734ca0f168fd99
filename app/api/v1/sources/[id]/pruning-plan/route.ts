import { route } from '@/server/http/route';
import { planSourcePruning } from '@/server/retention';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route<{ id: string }>(async ({ verb, params }) => planSourcePruning(verb, params.id));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
