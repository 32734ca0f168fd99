import { z } from '../zod';
import { IsoDateTime, Json, Role, Uuid } from './common';
import { Run } from './runs';

const Person = z.object({ id: Uuid, email: z.string().nullable() });

/** server/approvals/dto.ts, toRestoreRequestDto. */
export const RestoreRequest = z.object({
  id: Uuid,
  recoveryPointId: Uuid.nullable(),
  sourceId: Uuid,
  sourceName: z.string(),
  target: Json.openapi({ description: 'As stored: a secret field holds "(sealed)"' }),
  sealedFields: z.array(z.string()),
  mode: z.string(),
  destructive: z.boolean(),
  reason: z.string(),
  requester: z.object({ id: Uuid, email: z.string() }),
  viaTokenId: Uuid.nullable(),
  status: z.enum(['PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'EXECUTED']),
  requiredApprovals: z.number().int(),
  requiresAdminApproval: z.boolean(),
  rule: z.string(),
  approvals: z.array(
    z.object({ approver: z.object({ id: Uuid, email: z.string(), role: Role }), comment: z.string().nullable(), version: z.number().int(), at: IsoDateTime }),
  ),
  decisions: z.array(
    z.object({
      id: Uuid,
      decision: z.enum(['APPROVE', 'REJECT']),
      approver: z.object({ id: Uuid, email: z.string(), role: Role, disabled: z.boolean() }),
      roleAtDecision: Role,
      viaTokenId: Uuid.nullable(),
      comment: z.string().nullable(),
      version: z.number().int(),
      counts: z.boolean(),
      voided: z.enum(['edited', 'approver no longer eligible', 'requester']).nullable(),
      at: IsoDateTime,
    }),
  ),
  version: z.number().int(),
  history: Json,
  expiresAt: IsoDateTime,
  expired: z.boolean(),
  runId: Uuid.nullable(),
  breakGlass: z.boolean(),
  breakGlassReason: z.string().nullable(),
  breakGlassBy: Person.nullable(),
  breakGlassAcknowledged: z.boolean(),
  breakGlassAcknowledgedAt: IsoDateTime.nullable(),
  breakGlassAcknowledgedBy: Person.nullable(),
  risk: z.object({ destructive: z.boolean(), pointAge: z.number().nullable(), pointSize: z.number().nullable(), replaces: z.string().nullable() }),
  closedAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
}).openapi('RestoreRequest');

/** `POST /recovery-points/{id}/restores` when no approval is needed: the run, with its (executed) request. */
export const RestoreRun = z.object({ ...Run.shape, restoreRequest: RestoreRequest }).openapi('RestoreRun');

/** Approve and reject: the request, plus why it did not run when this approval completed the rule (it waits, APPROVED). */
export const RestoreRequestDecision = z.object({
  ...RestoreRequest.shape,
  executionError: z
    .object({ code: z.string(), message: z.string() })
    .optional()
    .openapi({ description: 'The rule is met but the execution was refused (a target created meanwhile): `POST …/execute` runs it later' }),
}).openapi('RestoreRequestDecision');
