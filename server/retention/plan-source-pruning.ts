import { authorize } from '@/server/auth/permissions';
import { SourceId } from '@/server/inventory/get-source';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { db, type Tx } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { isVerified } from './ids';
import type { RetentionPlan } from './plan-retention';
import { planScopedRetention, type CopyScope } from './plan-scopes';
import { parseRetentionPolicy, type RetentionPolicy } from './retention-policy';

interface PlannedPoint {
  id: string;
  createdAt: string;
  /** Stored bytes of every object of the point (what deleting it frees on each destination holding it). */
  sizeBytes: number;
  verified: boolean;
  legalHold: boolean;
  lockedUntil: string | null;
  /** When retention deleted the primary object; the point lives on in its copies. */
  primaryDeletedAt: string | null;
}

/** A destination named in a plan. */
export interface ScopeRef {
  destinationId: string;
  destinationName: string;
}

export interface CopyScopePlan extends ScopeRef {
  /** The destination's own rules (`PolicyCopy.retention`), applied to its OK copies. */
  retention: RetentionPolicy;
  keep: Array<PlannedPoint & { reasons: string[] }>;
  /** `prune-copy`: only this copy goes; `prune-last-copy`: it was the point's last object, the point goes too. */
  delete: Array<PlannedPoint & { reason: string; outcome: 'delete-point' | 'prune-copy' | 'prune-last-copy' }>;
  transitions: Array<{ id: string; toStorageClass: string }>;
}

export interface SourcePruningPlan {
  sourceId: string;
  policyId: string | null;
  /** The rules applied; null when the source has no policy or its policy has no retention (keep everything). */
  retention: RetentionPolicy | null;
  now: string;
  /** The primary scope: the policy's retention over the points whose primary object still exists. */
  keep: Array<PlannedPoint & { reasons: string[] }>;
  /**
   * `delete-point`: the whole point goes (no copy with its own retention keeps it); `prune-primary`: only the
   * primary object goes (and the copies without their own retention), `keptBy` the copy scopes that keep it.
   */
  delete: Array<PlannedPoint & { reason: string; outcome: 'delete-point' | 'prune-primary'; keptBy: ScopeRef[] }>;
  transitions: Array<{ id: string; toStorageClass: string }>;
  /** One per copy destination with its own retention, in the policy's copy order. */
  copyScopes: CopyScopePlan[];
  /** Points whose primary was pruned and that no scope covers any more: kept until deleted by hand. */
  unscoped: Array<PlannedPoint & { reason: string }>;
  /** What a prune would do, in the order it does it. */
  actions: {
    deletePoints: Array<{ id: string; reason: string }>;
    prunePrimaries: Array<{ id: string; reason: string; keptBy: ScopeRef[]; followers: ScopeRef[] }>;
    pruneCopies: Array<ScopeRef & { pointId: string; reason: string; lastObject: boolean }>;
  };
}

/** The dry-run view: what a prune of this source would keep and delete right now, per scope, and why. Changes nothing. */
export async function planSourcePruning(ctx: VerbContext, rawSourceId: unknown, now = new Date()): Promise<SourcePruningPlan> {
  authorize(ctx.actor, 'inventory:read');
  const id = SourceId.safeParse(rawSourceId);
  if (!id.success) throw notFound('source', String(rawSourceId));
  return loadSourcePlan(id.data, now, readerOf(ctx));
}

/**
 * Loads a source's points and policy and runs the pure planner. No permission check: callers have done it. `client`
 * is a caller's transaction when the plan must see its uncommitted changes.
 */
export async function loadSourcePlan(sourceId: string, now: Date, client: Tx = db()): Promise<SourcePruningPlan> {
  const source = await client.source.findUnique({
    where: { id: sourceId },
    select: {
      id: true,
      policy: {
        select: {
          id: true,
          retention: true,
          copies: { select: { destinationId: true, retention: true, destination: { select: { name: true } } }, orderBy: { position: 'asc' } },
        },
      },
    },
  });
  if (!source) throw notFound('source', sourceId);
  const points = await client.recoveryPoint.findMany({
    where: { sourceId },
    select: {
      id: true,
      createdAt: true,
      sizeBytes: true,
      verifiedAt: true,
      legalHold: true,
      lockedUntil: true,
      storageClass: true,
      primaryDeletedAt: true,
      objects: { select: { sizeBytes: true } },
      copies: { select: { destinationId: true, status: true, storageClass: true, destination: { select: { name: true } } } },
    },
  });
  const stored = source.policy?.retention ?? null;
  const retention = stored === null ? null : parseRetentionPolicy(stored);
  const scopes = (source.policy?.copies ?? []).flatMap((c) =>
    c.retention === null ? [] : [{ destinationId: c.destinationId, destinationName: c.destination.name, retention: parseRetentionPolicy(c.retention) }],
  );

  // No retention at all plans with the empty policy: no keep rule, so the planner keeps everything (and says so).
  const plan = planScopedRetention(
    points.map((p) => ({
      id: p.id,
      createdAt: p.createdAt,
      verified: isVerified(p),
      legalHold: p.legalHold,
      lockedUntil: p.lockedUntil,
      primaryDeleted: p.primaryDeletedAt !== null,
      // Each object's own class: an object already moved there is not planned again.
      storageClass: p.storageClass,
      copies: p.copies.map((c) => ({ destinationId: c.destinationId, ok: c.status === 'COPY_OK', storageClass: c.storageClass })),
    })),
    retention ?? {},
    scopes.map((s): CopyScope => ({ destinationId: s.destinationId, retention: s.retention })),
    now,
  );

  // Names for every destination a point's copies are on (a copy may sit on a destination the policy no longer has).
  const names = new Map<string, string>();
  for (const s of scopes) names.set(s.destinationId, s.destinationName);
  for (const p of points) for (const c of p.copies) names.set(c.destinationId, c.destination.name);
  const ref = (destinationId: string): ScopeRef => ({ destinationId, destinationName: names.get(destinationId) ?? destinationId });

  const byId = new Map(points.map((p) => [p.id, p]));
  const describe = (pointId: string): PlannedPoint => {
    const p = byId.get(pointId)!;
    return {
      id: p.id,
      createdAt: p.createdAt.toISOString(),
      // A point without object rows is its one object, which the point's own columns describe.
      sizeBytes: p.objects.length > 0 ? p.objects.reduce((sum, o) => sum + Number(o.sizeBytes), 0) : Number(p.sizeBytes),
      verified: isVerified(p),
      legalHold: p.legalHold,
      lockedUntil: p.lockedUntil?.toISOString() ?? null,
      primaryDeletedAt: p.primaryDeletedAt?.toISOString() ?? null,
    };
  };
  const keepOf = (scopePlan: RetentionPlan) => scopePlan.keep.map((k) => ({ ...describe(k.id), reasons: k.reasons }));
  const wholes = new Set(plan.deletePoints.map((d) => d.id));
  const primaries = new Map(plan.prunePrimaries.map((p) => [p.id, p]));

  return {
    sourceId,
    policyId: source.policy?.id ?? null,
    retention,
    now: now.toISOString(),
    keep: keepOf(plan.primary),
    delete: plan.primary.delete.map((d) => ({
      ...describe(d.id),
      reason: d.reason,
      outcome: wholes.has(d.id) ? ('delete-point' as const) : ('prune-primary' as const),
      keptBy: (primaries.get(d.id)?.keptBy ?? []).map(ref),
    })),
    transitions: plan.primary.transitions,
    copyScopes: plan.copies.map(({ destinationId, plan: scopePlan }, i) => ({
      ...ref(destinationId),
      retention: scopes[i]!.retention,
      keep: keepOf(scopePlan),
      delete: scopePlan.delete.map((d) => {
        const prune = plan.pruneCopies.find((c) => c.pointId === d.id && c.destinationId === destinationId);
        const outcome = wholes.has(d.id) ? 'delete-point' : prune?.lastObject ? 'prune-last-copy' : 'prune-copy';
        return { ...describe(d.id), reason: d.reason, outcome: outcome as CopyScopePlan['delete'][number]['outcome'] };
      }),
      transitions: scopePlan.transitions,
    })),
    unscoped: plan.unscoped.map((u) => ({ ...describe(u.id), reason: u.reason })),
    actions: {
      deletePoints: plan.deletePoints,
      prunePrimaries: plan.prunePrimaries.map((p) => ({ id: p.id, reason: p.reason, keptBy: p.keptBy.map(ref), followers: p.followers.map(ref) })),
      pruneCopies: plan.pruneCopies.map((c) => ({ ...ref(c.destinationId), pointId: c.pointId, reason: c.reason, lastObject: c.lastObject })),
    },
  };
}
