import { route } from '@/server/http/route';
import { listKeys } from '@/server/keys';

export const GET = route(async ({ actor }) => ({ items: await listKeys(actor) }));
