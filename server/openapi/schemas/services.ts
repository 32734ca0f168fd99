import { z } from '../zod';
import { IsoDateTime, Uuid } from './common';

/** server/services/dto.ts, toTierDto. */
export const Tier = z.object({
  id: Uuid,
  name: z.string(),
  rpoSeconds: z.number().int(),
  rtoSeconds: z.number().int(),
  restoreApprovals: z.number().int(),
  description: z.string().nullable(),
  serviceCount: z.number().int().optional(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
}).openapi('Tier');

/** server/services/dto.ts, toServiceDto. */
export const Service = z.object({
  id: Uuid,
  name: z.string(),
  tierId: Uuid.nullable(),
  tier: z
    .object({ id: Uuid, name: z.string(), rpoSeconds: z.number().int(), rtoSeconds: z.number().int(), restoreApprovals: z.number().int() })
    .nullable(),
  description: z.string().nullable(),
  contact: z.string().nullable(),
  sourceIds: z.array(Uuid),
  sourceCount: z.number().int(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
}).openapi('Service');

export const ServiceDeleted = z.object({ id: Uuid, detachedSourceIds: z.array(Uuid) }).openapi('ServiceDeleted');
