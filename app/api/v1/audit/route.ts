import { route } from '@/server/http/route';
import { listAuditEvents } from '@/server/audit';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb, query }) => ({ items: await listAuditEvents(verb, query) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
