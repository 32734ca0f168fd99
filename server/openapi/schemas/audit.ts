import { z } from '../zod';
import { IsoDateTime, Json, Uuid } from './common';

/** server/audit/list-audit-events.ts: an event, its bigint id as a string. */
export const AuditEvent = z.object({
  id: z.string().openapi({ description: 'A whole number (the chain sequence), as a string' }),
  at: IsoDateTime,
  actorType: z.string(),
  actorId: z.string().nullable(),
  actorUserId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  details: Json,
  result: z.string().openapi({ description: 'ok, failed or refused' }),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  alg: z.string(),
  prevHash: z.string(),
  hash: z.string(),
}).openapi('AuditEvent');

/** server/audit/anchor-audit-head.ts, listAuditAnchors. */
export const AuditAnchor = z.object({
  id: Uuid,
  destinationId: Uuid,
  destination: z.string(),
  sequence: z.string(),
  hash: z.string(),
  key: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
  at: IsoDateTime,
}).openapi('AuditAnchor');

/** `POST /audit/anchors`: server/audit/anchor-audit-head.ts, AnchorResult. */
export const AnchorResult = z.object({
  sequence: z.string(),
  hash: z.string(),
  at: IsoDateTime,
  key: z.string(),
  destinations: z.array(z.object({ destinationId: Uuid, destination: z.string(), ok: z.boolean(), error: z.string().nullable() })),
}).openapi('AnchorResult');

/** `GET /audit/verify`: server/audit/verify-audit-chain.ts, ChainReport. */
export const ChainReport = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBad: z.object({ id: z.string(), problem: z.enum(['changed', 'missing', 'inserted', 'out of order']), detail: z.string() }).nullable(),
  anchor: z.object({
    destination: z.string().nullable(),
    sequence: z.string().nullable(),
    ok: z.boolean().nullable(),
    key: z.string().optional(),
    at: IsoDateTime.optional(),
    detail: z.string(),
    unreadable: z.array(z.object({ destination: z.string(), error: z.string() })),
  }),
  head: z.object({ sequence: z.string(), hash: z.string() }).nullable(),
  verifiedAt: IsoDateTime,
}).openapi('ChainReport');
