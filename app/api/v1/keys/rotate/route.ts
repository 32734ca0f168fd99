import { route } from '@/server/http/route';
import { rotateKey } from '@/server/keys';
import { otherMethods } from '@/server/http/fallbacks';

export const POST = route(async ({ verb }) => rotateKey(verb), { status: 201 });

export const { GET, PUT, PATCH, DELETE } = otherMethods('POST');
