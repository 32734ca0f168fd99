import { z } from '../zod';
import { IsoDateTime, Json, Uuid } from './common';

export const RunKind = z.enum(['BACKUP', 'RESTORE', 'VERIFY']).openapi('RunKind');
export const RunStatus = z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).openapi('RunStatus');

/** server/runs/run-dto.ts, toRunDto. */
export const Run = z.object({
  id: Uuid,
  kind: RunKind,
  status: RunStatus,
  sourceId: Uuid,
  sourceName: z.string().nullable(),
  destinationId: Uuid.nullable(),
  recoveryPointId: Uuid.nullable().openapi({ description: 'The point a restore or verify run reads' }),
  params: Json.openapi({ description: 'What the run was asked to do (a restore: `{ target, mode }`, secrets removed)' }),
  requestedBy: z.string().nullable(),
  trigger: z.string().openapi({ description: 'manual, schedule or catch-up' }),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  cancelRequested: z.boolean(),
  phase: z.string().nullable(),
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  error: z.string().nullable(),
  result: Json.openapi({ description: 'What the engine answered for a finished run (a scratch Redis restore: `{ address, password, expiresAt, keys }`), else null' }),
  createdAt: IsoDateTime,
  startedAt: IsoDateTime.nullable(),
  finishedAt: IsoDateTime.nullable(),
  heartbeatAt: IsoDateTime.nullable(),
}).openapi('Run');

/** `GET /runs/{id}` (and cancel, stop): the run with the point a finished backup made. */
export const RunDetail = z.object({ ...Run.shape, outputRecoveryPointId: Uuid.nullable() }).openapi('RunDetail');

export const RunLog = z.object({
  id: z.string().openapi({ description: 'A whole number (the log line id), as a string' }),
  at: IsoDateTime,
  level: z.string(),
  message: z.string(),
}).openapi('RunLog');
