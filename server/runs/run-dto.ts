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
    params: withoutTargetSecrets(run.params),
    requestedBy: run.requestedBy,
    trigger: run.trigger,
    attempt: run.attempt,
    maxAttempts: run.maxAttempts,
    cancelRequested: run.cancelRequested,
    phase: run.phase,
    bytesDone: Number(run.bytesDone),
    bytesTotal: run.bytesTotal === null ? null : Number(run.bytesTotal),
    error: run.error,
    /** What the engine answered for a finished run (a scratch Redis restore: `{ address, password, expiresAt, keys }`), else null. */
    result: run.result ?? null,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    heartbeatAt: run.heartbeatAt?.toISOString() ?? null,
  };
}
export type RunDto = ReturnType<typeof toRunDto>;

/**
 * A restore run's params without the secrets a target may carry (a Redis replay target's `password`): the run is
 * read by anyone with run:read, the password is only for the worker.
 */
function withoutTargetSecrets(params: Run['params']): Run['params'] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return params;
  const target = (params as Record<string, unknown>).target;
  if (target === null || typeof target !== 'object' || Array.isArray(target) || !('password' in target)) return params;
  const { password: _password, ...rest } = target as Record<string, unknown>;
  return { ...params, target: rest } as Run['params'];
}
