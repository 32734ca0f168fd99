import { z } from '../zod';
import { IsoDateTime, Uuid } from './common';

/** A retention policy as stored and answered: parsed by RetentionPolicy (server/retention), time zone filled in. */
export const RetentionRules = z
  .object({
    keepLast: z.number().int().optional(),
    keepHourly: z.number().int().optional(),
    keepDaily: z.number().int().optional(),
    keepWeekly: z.number().int().optional(),
    keepMonthly: z.number().int().optional(),
    keepYearly: z.number().int().optional(),
    keepWithin: z.string().optional(),
    minRetention: z.string().optional(),
    tiers: z.array(z.object({ afterDays: z.number().int(), storageClass: z.string() })).optional(),
    timezone: z.string(),
  })
  .openapi('RetentionRules', { description: 'Retention rules (server/retention/retention-policy.ts), as stored: time zone filled in' });

/** server/policies/policy-dto.ts, scheduleDto. */
export const Schedule = z.object({
  id: z.string(),
  kind: z.enum(['backup', 'verify', 'prune']),
  backupType: z.enum(['full', 'incremental', 'differential']).optional(),
  cron: z.string(),
  timezone: z.string(),
  window: z.object({ start: z.string(), end: z.string() }).nullable(),
  description: z.string(),
  next: z.array(IsoDateTime),
}).openapi('Schedule');

/** server/policies/policy-dto.ts, toPolicyDto. */
export const Policy = z.object({
  id: Uuid,
  name: z.string(),
  destinationId: Uuid,
  destinationName: z.string(),
  copyDestinationIds: z.array(Uuid),
  copies: z.array(z.object({ destinationId: Uuid, destinationName: z.string(), position: z.number().int(), retention: RetentionRules.nullable() })),
  compressionLevel: z.number().int().nullable(),
  encrypt: z.boolean(),
  retention: RetentionRules.nullable(),
  schedules: z.array(Schedule),
  paused: z.boolean(),
  maxConcurrentPerDestination: z.number().int().nullable(),
  createdAt: IsoDateTime,
}).openapi('Policy');

export const PolicyDeleted = z.object({ id: Uuid, name: z.string(), deleted: z.boolean() }).openapi('PolicyDeleted');
export const PolicyRetention = z.object({ policyId: Uuid, name: z.string(), retention: RetentionRules.nullable() }).openapi('PolicyRetention');
export const CopyRetention = z.object({ policyId: Uuid, destinationId: Uuid, destinationName: z.string(), retention: RetentionRules.nullable() }).openapi('CopyRetention');
