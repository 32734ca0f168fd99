import { isDomainError } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { isStorageError } from '@/server/storage/driver';
import { applyTransitions, type PointTransition } from './apply-transitions';
import { deleteRecoveryPoint } from './delete-recovery-point';
import { RETENTION_ACTOR } from './ids';
import { loadSourcePlan } from './plan-source-pruning';
import { pruneCopy } from './prune-copy';
import { prunePrimary } from './prune-primary';

export interface PruneResult {
  sourceId: string;
  /** Planned deletions of every kind: whole points, primary objects, copies. */
  planned: number;
  /** Whole points deleted (deleteRecoveryPoint). */
  deleted: Array<{ id: string; reason: string; objectsDeleted: boolean }>;
  /** Primary objects deleted while copies with their own retention keep the point. */
  primariesPruned: Array<{ id: string; reason: string; followers: string[] }>;
  /** Copies deleted by their destination's retention; `pointDeleted` when it was the point's last object. */
  copiesPruned: Array<{ pointId: string; destinationId: string; reason: string; pointDeleted: boolean }>;
  /**
   * Planned deletions that were refused (a hold or lock placed since planning, already gone …) or failed at the
   * storage (nothing was recorded then). `destinationId` names the copy for a copy prune.
   */
  refused: Array<{ id: string; code: string; message: string; action?: 'prune-primary' | 'prune-copy'; destinationId?: string }>;
  /** Planned storage class moves, applied after the deletions; a failed move is reported here, never thrown. */
  transitions: PointTransition[];
}

/**
 * Applies the source's retention plan, scope by scope (see planScopedRetention), acting as the system labelled
 * `retention`: whole points go through deleteRecoveryPoint, primary objects through prunePrimary, copies through
 * pruneCopy; each re-checks every protection with the row locked. Then the planned storage class transitions are
 * applied (see applyTransitions). A refusal or a storage failure of one item is logged and collected, never fatal:
 * the rest of the plan still runs, and the next prune re-plans from scratch.
 * `now` only drives the plan; locks are always checked against the real clock.
 */
export async function pruneSource(sourceId: string, now = new Date()): Promise<PruneResult> {
  const plan = await loadSourcePlan(sourceId, now);
  const { deletePoints, prunePrimaries, pruneCopies } = plan.actions;
  const ctx = { actor: RETENTION_ACTOR };
  const result: PruneResult = {
    sourceId,
    planned: deletePoints.length + prunePrimaries.length + pruneCopies.length,
    deleted: [],
    primariesPruned: [],
    copiesPruned: [],
    refused: [],
    transitions: [],
  };

  for (const point of deletePoints) {
    try {
      const done = await deleteRecoveryPoint(ctx, point.id, { reason: `retention: ${point.reason}` });
      result.deleted.push({ id: done.id, reason: point.reason, objectsDeleted: done.objectsDeleted });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      logger.warn({ sourceId, pointId: point.id, code: e.code, err: e.message }, 'retention: deletion refused');
      result.refused.push({ id: point.id, code: e.code, message: e.message });
    }
  }

  // Primaries before copies: a copy prune that finds the primary still there never has to delete the point.
  for (const p of prunePrimaries) {
    try {
      const done = await prunePrimary(ctx, p.id, { reason: `retention: ${p.reason}`, keptBy: p.keptBy.map((k) => k.destinationId) });
      result.primariesPruned.push({ id: done.id, reason: p.reason, followers: done.followers.map((f) => f.destinationId) });
    } catch (e) {
      result.refused.push({ id: p.id, action: 'prune-primary', ...refusal(e, { sourceId, pointId: p.id }) });
    }
  }
  for (const c of pruneCopies) {
    try {
      const done = await pruneCopy(ctx, c.pointId, c.destinationId, { reason: `retention (destination "${c.destinationName}"): ${c.reason}` });
      result.copiesPruned.push({ pointId: done.pointId, destinationId: done.destinationId, reason: c.reason, pointDeleted: done.pointDeleted });
    } catch (e) {
      result.refused.push({ id: c.pointId, action: 'prune-copy', destinationId: c.destinationId, ...refusal(e, { sourceId, pointId: c.pointId, destinationId: c.destinationId }) });
    }
  }

  // After the deletions: a point this prune removed is not worth moving (the planner only moves kept objects anyway).
  const scoped = new Set(plan.copyScopes.map((s) => s.destinationId));
  result.transitions = await applyTransitions(
    [
      ...plan.transitions.map((t) => ({ ...t, destinationId: null })),
      ...plan.copyScopes.flatMap((s) => s.transitions.map((t) => ({ ...t, destinationId: s.destinationId }))),
    ],
    scoped,
  );
  const failedMoves = result.transitions.filter((t) => t.objects.some((o) => o.outcome === 'failed')).length;
  logger.info(
    {
      sourceId,
      planned: result.planned,
      deleted: result.deleted.length,
      primariesPruned: result.primariesPruned.length,
      copiesPruned: result.copiesPruned.length,
      refused: result.refused.length,
      transitions: result.transitions.length,
      failedMoves,
    },
    'retention: source pruned',
  );
  return result;
}

/**
 * A partial prune's refusal or storage failure as a refusal entry; anything else (the database gone …) is rethrown,
 * as for whole deletions. A storage failure is collected (code `STORAGE`): the objects are deleted inside the
 * transaction, so it rolled back, nothing was recorded, and the next prune tries again.
 */
function refusal(e: unknown, context: Record<string, string>): { code: string; message: string } {
  if (!isDomainError(e) && !isStorageError(e)) throw e;
  const code = isDomainError(e) ? e.code : 'STORAGE';
  logger.warn({ ...context, code, err: e.message }, isDomainError(e) ? 'retention: prune refused' : 'retention: prune failed at the storage; nothing recorded');
  return { code, message: e.message };
}
