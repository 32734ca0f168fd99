import { isDomainError } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { applyTransitions, type PointTransition } from './apply-transitions';
import { deleteRecoveryPoint } from './delete-recovery-point';
import { RETENTION_ACTOR } from './ids';
import { loadSourcePlan } from './plan-source-pruning';

export interface PruneResult {
  sourceId: string;
  planned: number;
  deleted: Array<{ id: string; reason: string; objectsDeleted: boolean }>;
  /** Planned deletions that deleteRecoveryPoint refused (a hold or lock placed since planning, already gone …). */
  refused: Array<{ id: string; code: string; message: string }>;
  /** Planned storage class moves, applied after the deletions; a failed move is reported here, never thrown. */
  transitions: PointTransition[];
}

/**
 * Applies the source's retention plan: every planned deletion goes through deleteRecoveryPoint (acting as the
 * system, labelled `retention`), which re-checks every protection with the row locked; then the planned storage class
 * transitions are applied (see applyTransitions). A refusal is logged and
 * collected, never fatal: the rest of the plan still runs, and the next prune re-plans from scratch.
 * `now` only drives the plan; locks are always checked against the real clock.
 */
export async function pruneSource(sourceId: string, now = new Date()): Promise<PruneResult> {
  const plan = await loadSourcePlan(sourceId, now);
  const result: PruneResult = { sourceId, planned: plan.delete.length, deleted: [], refused: [], transitions: [] };
  for (const point of plan.delete) {
    try {
      const done = await deleteRecoveryPoint(RETENTION_ACTOR, point.id, { reason: `retention: ${point.reason}` });
      result.deleted.push({ id: done.id, reason: point.reason, objectsDeleted: done.objectsDeleted });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      logger.warn({ sourceId, pointId: point.id, code: e.code, err: e.message }, 'retention: deletion refused');
      result.refused.push({ id: point.id, code: e.code, message: e.message });
    }
  }
  // After the deletions: a point this prune removed is not worth moving (the planner only moves kept points anyway).
  result.transitions = await applyTransitions(plan.transitions);
  const failedMoves = result.transitions.filter((t) => t.objects.some((o) => o.outcome === 'failed')).length;
  logger.info(
    { sourceId, planned: result.planned, deleted: result.deleted.length, refused: result.refused.length, transitions: result.transitions.length, failedMoves },
    'retention: source pruned',
  );
  return result;
}
