import { authorize, type Actor } from '@/server/auth/permissions';
import { SourceId } from '@/server/inventory/get-source';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { isVerified } from './ids';
import { planRetention } from './plan-retention';
import { parseRetentionPolicy, type RetentionPolicy } from './retention-policy';

interface PlannedPoint {
  id: string;
  createdAt: string;
  sizeBytes: number;
  verified: boolean;
  legalHold: boolean;
  lockedUntil: string | null;
}

export interface SourcePruningPlan {
  sourceId: string;
  policyId: string | null;
  /** The rules applied; null when the source has no policy or its policy has no retention (keep everything). */
  retention: RetentionPolicy | null;
  now: string;
  keep: Array<PlannedPoint & { reasons: string[] }>;
  delete: Array<PlannedPoint & { reason: string }>;
  transitions: Array<{ id: string; toStorageClass: string }>;
}

/** The dry-run view: what a prune of this source would keep and delete right now, and why. Changes nothing. */
export async function planSourcePruning(actor: Actor | null, rawSourceId: unknown, now = new Date()): Promise<SourcePruningPlan> {
  authorize(actor, 'inventory:read');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  return loadSourcePlan(id.data, now);
}

/** Loads a source's points and policy and runs the pure planner. No permission check: callers have done it. */
export async function loadSourcePlan(sourceId: string, now: Date): Promise<SourcePruningPlan> {
  const source = await db().source.findUnique({
    where: { id: sourceId },
    select: { id: true, policy: { select: { id: true, retention: true } } },
  });
  if (!source) throw notFound('source', sourceId);
  const points = await db().recoveryPoint.findMany({
    where: { sourceId },
    select: { id: true, createdAt: true, sizeBytes: true, verifiedAt: true, legalHold: true, lockedUntil: true, storageClass: true },
  });
  const stored = source.policy?.retention ?? null;
  const retention = stored === null ? null : parseRetentionPolicy(stored);
  // No retention at all plans with the empty policy: no keep rule, so the planner keeps everything (and says so).
  const plan = planRetention(
    points.map((p) => ({
      id: p.id,
      createdAt: p.createdAt,
      verified: isVerified(p),
      legalHold: p.legalHold,
      lockedUntil: p.lockedUntil,
      // The primary's class: a point already moved there is not planned again.
      storageClass: p.storageClass,
    })),
    retention ?? {},
    now,
  );
  const byId = new Map(points.map((p) => [p.id, p]));
  const describe = (pointId: string): PlannedPoint => {
    const p = byId.get(pointId)!;
    return {
      id: p.id,
      createdAt: p.createdAt.toISOString(),
      sizeBytes: Number(p.sizeBytes),
      verified: isVerified(p),
      legalHold: p.legalHold,
      lockedUntil: p.lockedUntil?.toISOString() ?? null,
    };
  };
  return {
    sourceId,
    policyId: source.policy?.id ?? null,
    retention,
    now: now.toISOString(),
    keep: plan.keep.map((k) => ({ ...describe(k.id), reasons: k.reasons })),
    delete: plan.delete.map((d) => ({ ...describe(d.id), reason: d.reason })),
    transitions: plan.transitions,
  };
}
