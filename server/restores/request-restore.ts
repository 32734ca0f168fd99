import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { createRun, enqueueRun } from '@/server/runs/create-run';
import { afterCommit, readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { isEngineError, type AnyEngine } from '@/server/engines/engine';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import type { Prisma } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';
import { toRunDto } from '@/server/runs/run-dto';

// The check is one connection and one catalog query; a server slower than this would hold the request for nothing.
const CHECK_TARGET_TIMEOUT_MS = 15_000;

export const RecoveryPointId = z.string().uuid();

/**
 * The envelope of a restore request. `target` is the engine's business (its `restoreTargetSchema` parses it once the
 * point's engine is known); `mode` is one of the engine's restore modes, by default its first.
 */
export const RequestRestoreInput = z.object({
  target: z.record(z.string(), z.unknown(), { message: 'target must be an object' }),
  mode: z.string().max(50, 'mode is at most 50 characters').optional(),
});
export type RequestRestoreInput = z.infer<typeof RequestRestoreInput>;

/**
 * Asks for a recovery point to be restored (PostgreSQL: into a new database). The target is parsed by the point's
 * engine and checked at once with the engine's `checkRestoreTarget` (e.g. the database must not exist yet), with
 * the source's own credentials, so a request the worker would refuse is refused here instead. The run's job is
 * enqueued once the run has committed (in a caller's transaction, at its commit).
 */
export async function requestRestore(ctx: VerbContext, rawPointId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  const pointId = RecoveryPointId.safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));
  const input = RequestRestoreInput.parse(raw);

  const found = await readerOf(ctx).recoveryPoint.findUnique({
    where: { id: pointId.data },
    select: { engine: true, source: { select: { id: true, config: true, secrets: true } } },
  });
  if (!found) throw notFound('recovery point', pointId.data);
  if (!isEngineKind(found.engine)) throw new DomainError('VALIDATION', `restoring ${found.engine} points is not supported by this server`);
  const engine = getEngine(found.engine);
  const target = parseRestoreTarget(engine, input.target);
  const mode = input.mode ?? engine.restoreModes[0]?.mode;
  if (mode === undefined || !engine.restoreModes.some((m) => m.mode === mode)) {
    const known = engine.restoreModes.map((m) => m.mode).join(', ');
    throw new DomainError('VALIDATION', `mode: ${engine.label} restores support ${known || 'no mode'}`, {
      issues: [{ path: ['mode'], message: `must be one of: ${known}` }],
    });
  }
  await checkTarget(engine, found.source, target);

  const run = await withTransaction(ctx, async (tx) => {
    // Read again inside the transaction: the point may have been deleted while the target was being checked.
    const point = await tx.recoveryPoint.findUnique({
      where: { id: pointId.data },
      select: { id: true, sourceId: true, destinationId: true },
    });
    if (!point) throw notFound('recovery point', pointId.data);
    const created = await createRun(tx, 'RESTORE', {
      actor,
      sourceId: point.sourceId,
      destinationId: point.destinationId,
      inputPointId: point.id,
      params: { target, mode },
      details: { recoveryPointId: point.id, sourceId: point.sourceId, target, mode },
    });
    return created;
  });
  await afterCommit(ctx, () => enqueueRun(run));
  return toRunDto(run);
}

/** The engine's restore target, parsed; issues point into `target` so forms can show them under the field. */
function parseRestoreTarget(engine: AnyEngine, raw: Record<string, unknown>): Prisma.InputJsonObject {
  const parsed = engine.restoreTargetSchema.safeParse(raw);
  if (parsed.success) return parsed.data as Prisma.InputJsonObject;
  const issues = parsed.error.issues.map((i) => ({ path: ['target', ...i.path.map(String)], message: i.message }));
  throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
}

/** The engine's early check, with the source's credentials (opened here, never stored or logged). */
async function checkTarget(engine: AnyEngine, source: { id: string; config: unknown; secrets: string | null }, target: unknown): Promise<void> {
  if (engine.checkRestoreTarget === undefined) return;
  const secrets = source.secrets ? openSecret(source.secrets, `source:${source.id}`) : {};
  try {
    await engine.checkRestoreTarget(source.config, secrets, target, { signal: AbortSignal.timeout(CHECK_TARGET_TIMEOUT_MS) });
  } catch (err) {
    if (isEngineError(err, 'TARGET_EXISTS')) throw new DomainError('CONFLICT', err.message);
    if (isEngineError(err, 'INVALID_CONFIG')) throw new DomainError('VALIDATION', err.message);
    if (isEngineError(err)) throw new DomainError('CONNECTION_FAILED', `cannot check the restore target: ${err.message}`);
    throw err;
  }
}
