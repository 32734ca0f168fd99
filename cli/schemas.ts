import { z } from 'zod';

// The parts of the API's answers (docs/API.md) the CLI reads. Loose objects: the server may add fields, and `--json`
// prints the answer as it came, unknown fields included. A missing field the CLI relies on is a readable error
// (client.ts), not an `undefined` in a message.

const nullableString = z.string().nullable();
const time = z.string();
const nullableTime = z.string().nullable();

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export const TERMINAL_STATUSES: readonly string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export const Source = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  service: z.looseObject({ id: z.string(), name: z.string() }).nullable().optional(),
  recoveryPointCount: z.number().optional(),
  lastRun: z.looseObject({ id: z.string(), status: z.string(), kind: z.string(), finishedAt: nullableTime }).nullable().optional(),
});
export type Source = z.infer<typeof Source>;

export const Run = z.looseObject({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  sourceId: nullableString,
  sourceName: nullableString.optional(),
  recoveryPointId: nullableString.optional(),
  outputRecoveryPointId: nullableString.optional(),
  attempt: z.number(),
  maxAttempts: z.number(),
  cancelRequested: z.boolean().optional(),
  phase: nullableString.optional(),
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  error: nullableString,
  createdAt: time,
  startedAt: nullableTime,
  finishedAt: nullableTime,
});
export type Run = z.infer<typeof Run>;

export const RecoveryPoint = z.looseObject({
  id: z.string(),
  sourceId: z.string(),
  runId: nullableString,
  destinationName: nullableString.optional(),
  sizeBytes: z.number(),
  // The whole point (every object); older servers answer only sizeBytes.
  totalBytes: z.number().optional(),
  createdAt: time,
  verifiedAt: nullableTime,
  verifyError: nullableString,
  legalHold: z.boolean(),
  lockedUntil: nullableTime,
  primaryDeletedAt: nullableTime.optional(),
  storedCopies: z.looseObject({ total: z.number(), ok: z.number() }).optional(),
});
export type RecoveryPoint = z.infer<typeof RecoveryPoint>;

export const RestoreRequest = z.looseObject({
  id: z.string(),
  status: z.string(),
  recoveryPointId: z.string(),
  sourceName: nullableString.optional(),
  mode: z.string(),
  destructive: z.boolean(),
  reason: z.string(),
  requester: z.looseObject({ email: nullableString.optional() }).nullable().optional(),
  requiredApprovals: z.number(),
  requiresAdminApproval: z.boolean().optional(),
  rule: z.string(),
  approvals: z.array(z.looseObject({ approver: z.looseObject({ email: nullableString.optional() }).nullable().optional() })),
  runId: nullableString,
  expiresAt: time,
  createdAt: time,
  target: z.record(z.string(), z.unknown()).optional(),
  executionError: z.looseObject({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type RestoreRequest = z.infer<typeof RestoreRequest>;

/** `POST /recovery-points/{id}/restores`: the run with its request when no approval is needed, else the waiting request. */
export const RestoreAnswer = z.union([
  Run.extend({ restoreRequest: RestoreRequest }).transform(({ restoreRequest, ...run }) => ({ request: restoreRequest, run: run as Run | null })),
  RestoreRequest.transform((request) => ({ request, run: null as Run | null })),
]);

export const RunLog = z.looseObject({ at: time, level: z.string(), message: z.string() });

export const AuditReport = z.looseObject({
  ok: z.boolean(),
  checked: z.number(),
  firstBad: z.looseObject({ id: z.string(), problem: z.string(), detail: z.string() }).nullable(),
  anchor: z.looseObject({
    destination: nullableString.optional(),
    sequence: z.union([z.string(), z.number()]).nullable().optional(),
    ok: z.boolean().nullable(),
    detail: z.string(),
    unreadable: z.array(z.looseObject({ destination: z.string(), error: z.string() })).default([]),
  }),
});
export type AuditReport = z.infer<typeof AuditReport>;

const Compliance = { sources: z.number(), compliant: z.number(), compliance: z.number().nullable() };
export const Slo = z.looseObject({
  tiers: z.array(z.looseObject({ id: z.string(), name: z.string(), rpoSeconds: z.number(), rtoSeconds: z.number(), ...Compliance })),
  services: z.array(z.looseObject({ id: z.string(), name: z.string(), tierId: nullableString, ...Compliance })),
  sources: z.array(
    z.looseObject({
      sourceId: z.string(),
      name: z.string(),
      serviceId: nullableString,
      tierId: nullableString,
      status: z.string(),
      reasons: z.array(z.string()),
      rpo: z.looseObject({ targetSeconds: z.number().nullable(), achievedSeconds: z.number().nullable() }),
      rto: z.looseObject({
        targetSeconds: z.number().nullable(),
        achievedSeconds: z.number().nullable(),
        estimated: z.boolean(),
        estimatedSeconds: z.number().nullable(),
      }),
      missedSlots24h: z.number(),
      nextRunAt: nullableTime,
    }),
  ),
});
export type Slo = z.infer<typeof Slo>;

export const itemsOf = <S extends z.ZodType>(item: S) => z.looseObject({ items: z.array(item) });
