import type { PruningPlan, RecoveryPoint } from '@/components/api/types';

/** One scope's verdict on a point: the primary scope's, or one copy destination's. Reasons are the planner's, verbatim. */
export interface ScopeVerdict {
  /** "primary", or the copy destination's name. */
  scope: string;
  verdict: 'keep' | 'delete' | 'pruned';
  text: string;
}

/** One recovery point as the dry-run table shows it. */
export interface PlanRow {
  id: string;
  createdAt: string;
  sizeBytes: number;
  /** `delete`: the point goes whole; `partial`: some of its objects go, the point stays; `keep`: nothing goes. */
  decision: 'keep' | 'delete' | 'partial';
  /** What a prune would do to this point, in words; empty when nothing. */
  actions: string[];
  verdicts: ScopeVerdict[];
  /** Storage class moves: "→ GLACIER" (primary) or "offsite → GLACIER" (a copy destination's own tiers). */
  moves: string[];
}

type PlannedPoint = Omit<PruningPlan['keep'][number], 'reasons'>;

const names = (refs: { destinationName: string }[]) => refs.map((r) => r.destinationName).join(', ');

/** Turns the per-scope dry run into one row per recovery point, newest first. */
export function planRows(plan: PruningPlan): PlanRow[] {
  const rows = new Map<string, PlanRow>();
  const primaryPruned = new Set<string>();
  const row = (p: PlannedPoint): PlanRow => {
    let r = rows.get(p.id);
    if (!r) {
      r = { id: p.id, createdAt: p.createdAt, sizeBytes: p.sizeBytes, decision: 'keep', actions: [], verdicts: [], moves: [] };
      rows.set(p.id, r);
      if (p.primaryDeletedAt !== null) primaryPruned.add(p.id);
    }
    return r;
  };
  // Only kept objects move, so a move's point already has its row from the scope that keeps it.
  const move = (id: string, text: string) => rows.get(id)?.moves.push(text);
  const wholes = new Set(plan.actions.deletePoints.map((d) => d.id));
  const partial = new Set<string>();

  for (const k of plan.keep) row(k).verdicts.push({ scope: 'primary', verdict: 'keep', text: k.reasons.join(', ') });
  for (const d of plan.delete) {
    const r = row(d);
    r.verdicts.push({ scope: 'primary', verdict: 'delete', text: d.reason });
    if (d.outcome === 'delete-point') {
      r.actions.push('Delete the point and all its objects');
    } else {
      const followers = plan.actions.prunePrimaries.find((p) => p.id === d.id)?.followers ?? [];
      r.actions.push(
        `Prune the primary only; kept on ${names(d.keptBy)}` + (followers.length ? ` (the copies on ${names(followers)} go with it)` : ''),
      );
      partial.add(d.id);
    }
  }
  for (const scope of plan.copyScopes) {
    for (const k of scope.keep) row(k).verdicts.push({ scope: scope.destinationName, verdict: 'keep', text: k.reasons.join(', ') });
    for (const d of scope.delete) {
      const r = row(d);
      r.verdicts.push({ scope: scope.destinationName, verdict: 'delete', text: d.reason });
      if (d.outcome === 'prune-copy') {
        r.actions.push(`Delete the copy on ${scope.destinationName}`);
        partial.add(d.id);
      } else if (d.outcome === 'prune-last-copy') {
        r.actions.push(`Delete the copy on ${scope.destinationName}: its last object, so the point goes too`);
        wholes.add(d.id);
      }
    }
    for (const t of scope.transitions) move(t.id, `${scope.destinationName} → ${t.toStorageClass}`);
  }
  for (const u of plan.unscoped) row(u).verdicts.push({ scope: 'copies', verdict: 'keep', text: u.reason });
  for (const t of plan.transitions) move(t.id, plan.copyScopes.length ? `primary → ${t.toStorageClass}` : `→ ${t.toStorageClass}`);

  // A point whose primary was pruned before is outside the primary scope: say so rather than leave the scope out.
  for (const r of rows.values()) {
    if (primaryPruned.has(r.id) && !r.verdicts.some((v) => v.scope === 'primary')) {
      r.verdicts.unshift({ scope: 'primary', verdict: 'pruned', text: 'already pruned' });
    }
    r.decision = wholes.has(r.id) ? 'delete' : partial.has(r.id) ? 'partial' : 'keep';
  }
  return [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : -1));
}

/** What "Prune now" would delete, counted for its confirmation. */
export interface PruneCounts {
  /** Points deleted whole, including those whose last copy goes. */
  points: number;
  /** Primary objects pruned while copies keep their point. */
  primaries: number;
  /** Copies deleted by their destination's retention while their point stays (a last copy counts as its point). */
  copies: number;
  /** Every stored object (a data file with its manifest) that goes: primaries, copies, and the objects of whole points. */
  objects: number;
  /** Planned storage class moves. */
  moves: number;
}

/**
 * Counts what a prune would delete. The plan names the points; the recovery point list says how many objects each
 * one has (its primary unless pruned, plus every copy), since deleting a point deletes all of them.
 */
export function pruneCounts(plan: PruningPlan, points: readonly RecoveryPoint[]): PruneCounts {
  const { deletePoints, prunePrimaries, pruneCopies } = plan.actions;
  const byId = new Map(points.map((p) => [p.id, p]));
  const objectsOf = (id: string) => {
    const p = byId.get(id);
    // A point not (yet) in the list: count its primary at least.
    return p ? (p.primaryDeletedAt === null ? 1 : 0) + p.storedCopies.extra.length : 1;
  };
  // A last-copy prune deletes that copy, then the point with whatever objects it still has (pending/failed copies).
  const lastCopies = pruneCopies.filter((c) => c.lastObject);
  const otherCopies = pruneCopies.length - lastCopies.length;
  return {
    points: deletePoints.length + lastCopies.length,
    primaries: prunePrimaries.length,
    copies: otherCopies,
    objects:
      [...deletePoints.map((d) => d.id), ...lastCopies.map((c) => c.pointId)].reduce((n, id) => n + objectsOf(id), 0) +
      prunePrimaries.reduce((n, p) => n + 1 + p.followers.length, 0) +
      otherCopies,
    moves: plan.transitions.length + plan.copyScopes.reduce((n, s) => n + s.transitions.length, 0),
  };
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "2 recovery points, the primary object of 1 point and 1 copy: 4 stored objects in all.", or "nothing." */
export function pruneSentence(c: PruneCounts): string {
  const parts = [
    c.points > 0 && count(c.points, 'recovery point', 'recovery points'),
    c.primaries > 0 && `the primary object of ${count(c.primaries, 'point', 'points')}`,
    c.copies > 0 && count(c.copies, 'copy', 'copies'),
  ].filter((p): p is string => typeof p === 'string');
  if (parts.length === 0) return 'nothing.';
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${list}: ${count(c.objects, 'stored object', 'stored objects')} in all.`;
}
