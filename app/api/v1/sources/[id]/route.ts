import { route } from '@/server/http/route';
import { getSource } from '@/server/inventory';

export const GET = route<{ id: string }>(async ({ actor, params }) => getSource(actor, params.id));
