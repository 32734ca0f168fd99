import { json } from '@/server/http/errors';
import { checkHealth } from '@/server/health/check-health';
import { otherMethods } from '@/server/http/fallbacks';

export const dynamic = 'force-dynamic';

export async function GET() {
  const health = await checkHealth();
  return json(health, health.status === 'ok' ? 200 : 503);
}

export const { POST, PUT, PATCH, DELETE } = otherMethods('GET');
