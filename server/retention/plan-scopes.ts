import { DomainError } from '@/server/shared/errors';
import { newestFirst, planRetention, type RetentionPlan, type RetentionPoint } from './plan-retention';
import type { RetentionPolicyInput } from './retention-policy';

/** One stored copy of a point on another destination, as far as retention is concerned. */
export interface ScopedCopy {
  destinationId: string;
  /** COPY_OK: a whole object a scope can keep. A pending or failed copy is not a good object (yet). */
  ok: boolean;
  /** Storage class the copy was last moved to; null = as uploaded. */
  storageClass?: string | null;
}

/** A recovery point with every object it has: the primary (unless pruned) and its copies. */
export interface ScopedPoint extends Omit<RetentionPoint, 'storageClass'> {
  /** True once retention deleted the primary object (`RecoveryPoint.primaryDeletedAt`). */
  primaryDeleted: boolean;
  /** The primary object's storage class; null = as uploaded. */
  storageClass?: string | null;
  copies: readonly ScopedCopy[];
}

/** A copy destination with its own retention (`PolicyCopy.retention` not null). */
export interface CopyScope {
  destinationId: string;
  retention: RetentionPolicyInput;
}

export interface ScopedRetentionPlan {
  /** The policy's retention over the points whose primary object still exists. */
  primary: RetentionPlan;
  /** Each copy destination's own retention over that destination's COPY_OK copies, in the order given. */
  copies: Array<{ destinationId: string; plan: RetentionPlan }>;
  /** The primary scope deletes the point and no copy with its own retention keeps it: the whole point goes. */
  deletePoints: Array<{ id: string; reason: string }>;
  /**
   * The primary scope deletes the point but copies with their own retention keep it (`keptBy`): only the primary
   * object goes, and with it the copies on destinations without their own retention (`followers`, any status).
   */
  prunePrimaries: Array<{ id: string; reason: string; keptBy: string[]; followers: string[] }>;
  /**
   * A copy scope deletes its copy of a point that is not deleted whole. `lastObject`: no good object of the point
   * remains once the point's planned deletions are done (primary already pruned, no other scope keeps it), so the
   * point row goes with this copy.
   */
  pruneCopies: Array<{ pointId: string; destinationId: string; reason: string; lastObject: boolean }>;
  /**
   * Points whose primary is gone and that no scope covers (the retention of the destinations holding their copies
   * was removed since). Kept: nothing decided to delete them, and guessing would risk the only copy.
   */
  unscoped: Array<{ id: string; reason: string }>;
  /** Tier moves: `destinationId` null moves the primary (and its followers), otherwise that destination's copy. */
  transitions: Array<{ id: string; destinationId: string | null; toStorageClass: string }>;
}

/**
 * Plans retention per scope, reusing the pure `planRetention` for each: one scope for the primary (the policy's
 * retention over points whose primary object still exists) and one per copy destination with its own retention
 * (over that destination's COPY_OK copies). Then combines the scopes' decisions per point:
 *
 * - primary deletes, no copy scope keeps the point → the whole point goes (as with a single scope);
 * - primary deletes, some copy scope keeps it → only the primary goes, with the copies that have no own retention;
 * - a copy scope deletes → that copy goes; when it was the point's last good object, the point goes with it.
 *
 * Protections hold in every scope because every scope runs the same planner: legal hold, a running lock, and each
 * scope's own newest verified object. A point kept by any scope always keeps that scope's object, so a kept point
 * never loses its last object. Pure: same input, same plan.
 */
export function planScopedRetention(
  points: readonly ScopedPoint[],
  policy: RetentionPolicyInput,
  scopes: readonly CopyScope[],
  now: Date,
): ScopedRetentionPlan {
  const scoped = new Set<string>();
  for (const scope of scopes) {
    // Two rule sets for one destination would make "which one keeps this copy" ambiguous; refuse rather than guess.
    if (scoped.has(scope.destinationId)) throw new DomainError('VALIDATION', `destination ${scope.destinationId} has two retention scopes`);
    scoped.add(scope.destinationId);
  }

  const base = (p: ScopedPoint, storageClass: string | null | undefined): RetentionPoint => ({
    id: p.id,
    createdAt: p.createdAt,
    verified: p.verified,
    legalHold: p.legalHold,
    lockedUntil: p.lockedUntil,
    storageClass,
  });
  const primary = planRetention(
    points.filter((p) => !p.primaryDeleted).map((p) => base(p, p.storageClass)),
    policy,
    now,
  );
  const copies = scopes.map((scope) => {
    const inScope = points.flatMap((p) => {
      const copy = p.copies.find((c) => c.destinationId === scope.destinationId && c.ok);
      return copy ? [base(p, copy.storageClass)] : [];
    });
    return { destinationId: scope.destinationId, plan: planRetention(inScope, scope.retention, now) };
  });

  const primaryDeletes = new Map(primary.delete.map((d) => [d.id, d.reason]));
  const copyKeeps = copies.map((c) => new Set(c.plan.keep.map((k) => k.id)));
  const copyDeletes = copies.map((c) => new Map(c.plan.delete.map((d) => [d.id, d.reason])));

  const plan: ScopedRetentionPlan = { primary, copies, deletePoints: [], prunePrimaries: [], pruneCopies: [], unscoped: [], transitions: [] };

  // Newest first, so every list reads in the same order as the dry run's scopes.
  for (const point of [...points].sort(newestFirst)) {
    const keptBy = copies.filter((_, i) => copyKeeps[i]?.has(point.id)).map((c) => c.destinationId);
    const deletedBy = copies.flatMap((c, i) => {
      const reason = copyDeletes[i]?.get(point.id);
      return reason === undefined ? [] : [{ destinationId: c.destinationId, reason }];
    });
    const primaryReason = primaryDeletes.get(point.id);

    if (primaryReason !== undefined && keptBy.length === 0) {
      plan.deletePoints.push({ id: point.id, reason: primaryReason });
      continue;
    }
    if (primaryReason !== undefined) {
      const followers = point.copies.filter((c) => !scoped.has(c.destinationId)).map((c) => c.destinationId);
      plan.prunePrimaries.push({ id: point.id, reason: primaryReason, keptBy, followers });
    }
    if (point.primaryDeleted && keptBy.length === 0 && deletedBy.length === 0) {
      plan.unscoped.push({ id: point.id, reason: 'primary pruned; no copy destination with its own retention holds a copy of it' });
      continue;
    }
    // The point's last good object goes only when nothing keeps it: the primary was pruned before and every scope
    // holding a copy deletes it. An OK copy that follows the point (no own retention: left over from a destination
    // whose retention was removed) still counts as an object, so the point is not emptied while one remains.
    const lastGoes = point.primaryDeleted && keptBy.length === 0 && !point.copies.some((c) => c.ok && !scoped.has(c.destinationId));
    deletedBy.forEach((d, i) => {
      plan.pruneCopies.push({ pointId: point.id, destinationId: d.destinationId, reason: d.reason, lastObject: lastGoes && i === deletedBy.length - 1 });
    });
  }

  // Only objects that stay move: planRetention plans moves for the points a scope keeps, and a scope that keeps a
  // point keeps its object (a point deleted whole is kept by no scope).
  for (const t of primary.transitions) plan.transitions.push({ id: t.id, destinationId: null, toStorageClass: t.toStorageClass });
  for (const c of copies) for (const t of c.plan.transitions) plan.transitions.push({ id: t.id, destinationId: c.destinationId, toStorageClass: t.toStorageClass });
  return plan;
}
