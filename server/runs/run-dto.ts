import type { Run } from '@/server/shared/generated/prisma/client';

/** The public shape of a run (API and UI): numbers instead of bigints, no internal fields. */
export function toRunDto(run: Run & { source?: { name: string } | null }) {
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    sourceId: run.sourceId,
    sourceName: run.source?.name ?? null,
    destinationId: run.destinationId,
    recoveryPointId: run.inputPointId,
    params: run.params,
    requestedBy: run.requestedBy,
    trigger: run.trigger,
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    cancelRequested: run.cancelRequested,
    phase: run.phase,
    bytesDone: Number(run.bytesDone),
    bytesTotal: run.bytesTotal === null ? null : Number(run.bytesTotal),
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    heartbeatAt: run.heartbeatAt?.toISOString() ?? null,
  };
}
export type RunDto = ReturnType<typeof toRunDto>;
