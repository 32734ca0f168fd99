import { route } from '@/server/http/route';
import { getBackupReport } from '@/server/reports';
import { otherMethods } from '@/server/http/fallbacks';

export const GET = route(async ({ verb, query }) => getBackupReport(verb, query));

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
