import { route } from '@/server/http/route';
import { listAuditEvents } from '@/server/audit';

export const GET = route(async ({ actor, query }) => ({ items: await listAuditEvents(actor, query) }));
