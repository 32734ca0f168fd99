import { route } from '@/server/http/route';
import { planSourcePruning } from '@/server/retention';

export const GET = route<{ id: string }>(async ({ actor, params }) => planSourcePruning(actor, params.id));
