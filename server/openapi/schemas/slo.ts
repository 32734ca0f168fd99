import { z } from '../zod';
import { IsoDateTime, Uuid } from './common';

/** server/slo/evaluate-source.ts, SourceSlo. */
export const SourceSlo = z.object({
  sourceId: Uuid,
  name: z.string(),
  serviceId: Uuid.nullable(),
  tierId: Uuid.nullable(),
  status: z.enum(['OK', 'AT_RISK', 'BREACHED', 'UNKNOWN', 'UNPROTECTED']),
  reasons: z.array(z.string()),
  rpo: z.object({
    targetSeconds: z.number().nullable(),
    achievedSeconds: z.number().nullable(),
    verifiedAchievedSeconds: z.number().nullable(),
    pointId: Uuid.nullable(),
    pointAt: IsoDateTime.nullable(),
  }),
  rto: z.object({
    targetSeconds: z.number().nullable(),
    achievedSeconds: z.number().nullable(),
    estimated: z.boolean(),
    estimatedSeconds: z.number().nullable(),
    runId: Uuid.nullable(),
  }),
  missedSlots24h: z.number().int(),
  nextRunAt: IsoDateTime.nullable(),
}).openapi('SourceSlo');

const Compliance = { sources: z.number().int(), compliant: z.number().int(), compliance: z.number().nullable() };

/** `GET /slo`: server/slo/get-slo.ts. */
export const SloReport = z.object({
  tiers: z.array(z.object({ id: Uuid, name: z.string(), rpoSeconds: z.number().int(), rtoSeconds: z.number().int(), ...Compliance })),
  services: z.array(z.object({ id: Uuid, name: z.string(), tierId: Uuid.nullable(), ...Compliance })),
  sources: z.array(SourceSlo),
}).openapi('SloReport');

/** `GET /sources/{id}/slots`: server/slo/list-slots.ts. */
export const Slot = z.object({
  id: Uuid,
  scheduleId: z.string(),
  kind: z.string(),
  slotAt: IsoDateTime,
  state: z.enum(['STARTED', 'MISSED', 'SKIPPED']),
  reason: z.string().nullable(),
  runId: Uuid.nullable(),
}).openapi('Slot');

const Outcomes = z.object({ succeeded: z.number().int(), failed: z.number().int() });

/** `GET /reports/backups`: server/reports/get-backup-report.ts. */
export const BackupReport = z.object({
  days: z.number().int(),
  items: z.array(
    z.object({
      runId: Uuid,
      sourceId: Uuid,
      name: z.string(),
      at: IsoDateTime,
      finishedAt: IsoDateTime,
      durationSeconds: z.number(),
      storedBytes: z.number().nullable(),
      pointId: Uuid.nullable(),
      verifyFailed: z.boolean(),
    }),
  ),
  truncated: z.boolean(),
  outcomes: z.object({ last24h: Outcomes, last7d: Outcomes }),
}).openapi('BackupReport');

export const SlotPage = z.object({
  items: z.array(Slot),
  nextBefore: IsoDateTime.nullable().openapi({ description: 'The same bound as nextCursor, as an ISO time (the older way to page)' }),
}).openapi('SlotPage');
