import { z } from '../zod';
import { IsoDateTime, Json, JsonObject, Uuid } from './common';

/** server/recovery-points/recovery-point-dto.ts, toRecoveryPointDto. */
export const RecoveryPoint = z.object({
  id: Uuid,
  sourceId: Uuid,
  runId: Uuid,
  destinationId: Uuid,
  destinationName: z.string().nullable(),
  engine: z.string(),
  location: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  codec: z.string(),
  rawBytes: z.number().nullable(),
  rawSha256: z.string().nullable(),
  objects: z.array(
    z.object({
      role: z.string().openapi({ example: 'data' }),
      key: z.string(),
      size: z.number(),
      sha256: z.string(),
      codec: z.string(),
      rawBytes: z.number().nullable(),
      details: JsonObject,
    }),
  ),
  totalBytes: z.number().openapi({ description: 'Stored bytes of every object together (sizeBytes: the first object only)' }),
  totalRawBytes: z.number().nullable().openapi({ description: 'Decoded bytes of every object together; null when one is unknown' }),
  keyId: Uuid.nullable(),
  legalHold: z.boolean(),
  lockedUntil: IsoDateTime.nullable(),
  primaryDeletedAt: IsoDateTime.nullable(),
  verifiedAt: IsoDateTime.nullable(),
  verifyError: z.string().nullable(),
  damagedObjects: z.array(
    z.object({
      role: z.enum(['primary', 'copy']),
      destinationName: z.string(),
      fault: z.string().nullable(),
      error: z.string(),
      label: z.string(),
      summary: z.string(),
    }),
  ),
  manifest: Json,
  createdAt: IsoDateTime,
  storedCopies: z.object({
    total: z.number().int(),
    ok: z.number().int(),
    primaryPruned: z.boolean(),
    extra: z.array(
      z.object({ destinationName: z.string(), status: z.string(), verifiedAt: IsoDateTime.nullable(), verifyError: z.string().nullable() }),
    ),
  }),
}).openapi('RecoveryPoint');

/** `GET /sources/{id}/protection`: server/recovery-points/protection-status.ts. */
export const Protection = z.object({
  sourceId: Uuid,
  recoveryPointId: Uuid.nullable(),
  pointCreatedAt: IsoDateTime.nullable(),
  copies: z.number().int(),
  media: z.number().int(),
  offsite: z.boolean(),
  immutable: z.boolean(),
  zeroErrors: z.boolean(),
  storedCopies: z.array(
    z.object({
      destinationId: Uuid,
      destinationName: z.string(),
      kind: z.string(),
      status: z.enum(['OK', 'NOT_OK', 'PRUNED']),
      damaged: z.string().nullable(),
      primary: z.boolean(),
      offsite: z.boolean(),
      immutable: z.boolean(),
    }),
  ),
  rule321110: z.object({
    three: z.boolean(),
    two: z.boolean(),
    one: z.boolean(),
    oneImmutable: z.boolean(),
    zero: z.boolean(),
    ok: z.boolean(),
    reasons: z.array(z.string()),
  }),
}).openapi('Protection');
