import { route } from '@/server/http/route';
import { rotateKey } from '@/server/keys';

export const POST = route(async ({ actor }) => rotateKey(actor), { status: 201 });
