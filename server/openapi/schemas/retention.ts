import { z } from '../zod';
import { IsoDateTime, Uuid } from './common';
import { RetentionRules } from './policies';

const PlannedPoint = {
  id: Uuid,
  createdAt: IsoDateTime,
  sizeBytes: z.number(),
  verified: z.boolean(),
  legalHold: z.boolean(),
  lockedUntil: IsoDateTime.nullable(),
  primaryDeletedAt: IsoDateTime.nullable(),
};
const ScopeRef = { destinationId: Uuid, destinationName: z.string() };
const Transition = z.object({ id: Uuid, toStorageClass: z.string() });

/** `GET /sources/{id}/pruning-plan`: server/retention/plan-source-pruning.ts, SourcePruningPlan. */
export const PruningPlan = z.object({
  sourceId: Uuid,
  policyId: Uuid.nullable(),
  retention: RetentionRules.nullable(),
  now: IsoDateTime,
  keep: z.array(z.object({ ...PlannedPoint, reasons: z.array(z.string()) })),
  delete: z.array(z.object({ ...PlannedPoint, reason: z.string(), outcome: z.enum(['delete-point', 'prune-primary']), keptBy: z.array(z.object(ScopeRef)) })),
  transitions: z.array(Transition),
  copyScopes: z.array(
    z.object({
      ...ScopeRef,
      retention: RetentionRules,
      keep: z.array(z.object({ ...PlannedPoint, reasons: z.array(z.string()) })),
      delete: z.array(z.object({ ...PlannedPoint, reason: z.string(), outcome: z.enum(['delete-point', 'prune-copy', 'prune-last-copy']) })),
      transitions: z.array(Transition),
    }),
  ),
  unscoped: z.array(z.object({ ...PlannedPoint, reason: z.string() })),
  actions: z.object({
    deletePoints: z.array(z.object({ id: Uuid, reason: z.string() })),
    prunePrimaries: z.array(z.object({ id: Uuid, reason: z.string(), keptBy: z.array(z.object(ScopeRef)), followers: z.array(z.object(ScopeRef)) })),
    pruneCopies: z.array(z.object({ ...ScopeRef, pointId: Uuid, reason: z.string(), lastObject: z.boolean() })),
  }),
}).openapi('PruningPlan');

export const PruneRequested = z.object({ sourceId: Uuid, queued: z.boolean() }).openapi('PruneRequested');
export const LegalHold = z.object({ id: Uuid, legalHold: z.boolean(), lockedUntil: IsoDateTime.nullable() }).openapi('LegalHold');
export const RetentionLock = z.object({
  id: Uuid,
  lockedUntil: IsoDateTime,
  objectLocks: z.array(z.object({ destinationId: Uuid, ok: z.boolean(), error: z.string().optional() })),
}).openapi('RetentionLock');
export const PointDeleted = z.object({ id: Uuid, location: z.string(), objectsDeleted: z.boolean() }).openapi('PointDeleted');
