import { z } from '../zod';
import { IsoDateTime } from './common';

/** `GET /health`: server/health/check-health.ts. */
export const Health = z.object({
  status: z.string().openapi({ description: '"ok", or what is down' }),
  checks: z.object({ database: z.enum(['ok', 'down']), queue: z.enum(['ok', 'down']) }),
  time: IsoDateTime,
}).openapi('Health');
