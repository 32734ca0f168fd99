import { route } from '@/server/http/route';
import { listAuditEvents } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ actor, query }) => ({ items: await listAuditEvents(actor, query) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
