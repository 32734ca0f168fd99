import { route } from '@/server/http/route';
import { otherMethods } from '@/server/http/fallbacks';
import { getSlo } from '@/server/slo';

export const GET = route(async ({ verb }) => getSlo(verb));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
