import { route } from '@/server/http/route';
import { protectionStatus } from '@/server/recovery-points';

export const GET = route<{ id: string }>(async ({ actor, params }) => protectionStatus(actor, params.id));
