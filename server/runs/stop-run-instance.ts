import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Prisma } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { getRun, RunId } from './get-run';
import { publishStop } from './stop-channel';

/**
 * Why a run's result names nothing that is still running, or null when it does: a finished restore whose engine
 * answered an `expiresAt` still ahead (EngineRestoreResult.result) and no `stoppedAt` yet. Pure, for the verb and the
 * worker's sweep.
 */
export function notRunningReason(run: { kind: string; status: string; result: unknown }, now: Date = new Date()): string | null {
  if (run.kind !== 'RESTORE') return 'it is not a restore';
  if (run.status !== 'SUCCEEDED') return `it is ${run.status}, and only a finished restore leaves something running`;
  const result = run.result;
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return 'its restore left nothing running';
  const { expiresAt, stoppedAt } = result as Record<string, unknown>;
  if (typeof stoppedAt === 'string') return `it was stopped at ${stoppedAt}`;
  if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) return 'its restore left nothing running (no scratch instance)';
  if (Date.parse(expiresAt) <= now.getTime()) return `it expired at ${expiresAt}`;
  return null;
}

/**
 * `POST /api/v1/runs/{id}/stop`: stops early what a finished restore left running (a scratch Redis with its address
 * and `expiresAt` in the run's result). Permission `restore:request` (who may start one may end it). Under the run's
 * row lock, the result gets `stoppedAt` with the `run.stop` audit event; after the commit the stop goes to the
 * workers (server/runs/stop-channel.ts), and the one that ran the restore stops the instance (the engine's
 * `stopRestored`). Nothing to stop (not a restore, nothing left running, expired, stopped already, an engine that
 * cannot stop what it started): 409 `INVALID_STATE`, naming why.
 */
export async function stopRunInstance(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  await withTransaction(ctx, async (tx) => {
    // The row lock serialises two stop requests: the second sees the first's stoppedAt.
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Run" WHERE id = ${id.data}::uuid FOR UPDATE`;
    if (locked.length === 0) throw notFound('run', id.data);
    const run = await tx.run.findUniqueOrThrow({
      where: { id: id.data },
      select: { id: true, kind: true, status: true, result: true, workerId: true, source: { select: { kind: true } } },
    });
    const now = new Date();
    const reason = notRunningReason(run, now);
    if (reason !== null) throw new DomainError('INVALID_STATE', `nothing to stop for run ${run.id}: ${reason}`, { reason: 'NOTHING_TO_STOP' });
    const kind = run.source.kind;
    if (!isEngineKind(kind) || getEngine(kind).stopRestored === undefined) {
      throw new DomainError('INVALID_STATE', `nothing to stop for run ${run.id}: ${kind} restores cannot be stopped early; it stops at its expiry`, { reason: 'NOTHING_TO_STOP' });
    }
    const result = run.result as Record<string, unknown>;
    await tx.run.update({ where: { id: run.id }, data: { result: { ...result, stoppedAt: now.toISOString() } as Prisma.InputJsonObject } });
    await recordAudit(tx, actor, {
      action: 'run.stop',
      targetType: 'run',
      targetId: run.id,
      // Where it ran and until when it would have: never the password the result also holds.
      details: { address: result.address ?? null, expiresAt: result.expiresAt, workerId: run.workerId },
    });
  });
  await afterCommit(ctx, () => publishStop(id.data));
  return getRun(ctx, id.data);
}
