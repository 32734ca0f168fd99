import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planScopedRetention, type CopyScope, type ScopedPoint, type ScopedRetentionPlan } from './plan-scopes';
import type { RetentionPolicyInput } from './retention-policy';

const DAY_MS = 86_400_000;
const now = new Date('2026-11-20T00:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

function point(id: string, age: number, copies: ScopedPoint['copies'] = [], flags: Partial<ScopedPoint> = {}): ScopedPoint {
  return { id, createdAt: daysAgo(age), verified: false, legalHold: false, lockedUntil: null, primaryDeleted: false, copies, ...flags };
}
const ok = (destinationId: string) => ({ destinationId, ok: true });

describe('planScopedRetention: examples', () => {
  it('without copy scopes, deletes whole points exactly as the single-scope planner does', () => {
    const points = [point('a', 1, [ok('s3')]), point('b', 2, [ok('s3')]), point('c', 3)];
    const plan = planScopedRetention(points, { keepLast: 1 }, [], now);
    expect(plan.deletePoints).toEqual([
      { id: 'b', reason: 'not among the last 1' },
      { id: 'c', reason: 'not among the last 1' },
    ]);
    expect(plan.prunePrimaries).toEqual([]);
    expect(plan.pruneCopies).toEqual([]);
  });

  it('prunes only the primary (and the copies that follow it) while a copy with its own retention keeps the point', () => {
    // Primary kept 14 days, S3 copy 1 year, the local-mirror copy follows the point.
    const points = [point('new', 1, [ok('s3'), ok('mirror')]), point('mid', 30, [ok('s3'), ok('mirror')]), point('old', 400, [ok('s3')])];
    const plan = planScopedRetention(points, { keepWithin: '14d' }, [{ destinationId: 's3', retention: { keepWithin: '1y' } }], now);
    expect(plan.prunePrimaries).toEqual([
      { id: 'mid', reason: 'older than 14d before 2026-11-19T00:00:00.000Z', keptBy: ['s3'], followers: ['mirror'] },
    ]);
    // Beyond a year, S3 lets it go too: nothing keeps it, so it goes whole rather than piece by piece.
    expect(plan.deletePoints).toEqual([{ id: 'old', reason: 'older than 14d before 2026-11-19T00:00:00.000Z' }]);
    expect(plan.pruneCopies).toEqual([]);
  });

  it('deletes a point whole when every scope deletes it, and prunes the last copy of an already pruned point with it', () => {
    const points = [
      point('new', 1, [ok('s3')]),
      point('pruned', 30, [ok('s3')], { primaryDeleted: true }),
      point('both-old', 400, [ok('s3')]),
    ];
    const plan = planScopedRetention(points, { keepLast: 1 }, [{ destinationId: 's3', retention: { keepLast: 1 } }], now);
    expect(plan.deletePoints).toEqual([{ id: 'both-old', reason: 'not among the last 1' }]);
    expect(plan.pruneCopies).toEqual([{ pointId: 'pruned', destinationId: 's3', reason: 'not among the last 1', lastObject: true }]);
  });

  it('keeps each scope’s newest verified object, holds and locks in every scope', () => {
    const points = [
      point('new', 1, [ok('s3')]),
      point('verified-on-s3', 10, [ok('s3')], { verified: true, primaryDeleted: true }),
      point('verified-primary', 20, [{ destinationId: 's3', ok: false }], { verified: true }),
      point('held', 30, [ok('s3')], { legalHold: true }),
      point('locked', 40, [ok('s3')], { lockedUntil: daysAgo(-5) }),
    ];
    const plan = planScopedRetention(points, { keepLast: 1 }, [{ destinationId: 's3', retention: { keepLast: 1 } }], now);
    expect(plan.deletePoints).toEqual([]);
    expect(plan.prunePrimaries).toEqual([]);
    expect(plan.pruneCopies).toEqual([]);
    expect(plan.copies[0]!.plan.keep.find((k) => k.id === 'verified-on-s3')?.reasons).toEqual(['newest verified']);
    expect(plan.primary.keep.find((k) => k.id === 'verified-primary')?.reasons).toEqual(['newest verified']);
  });

  it('leaves a pruned point alone when no scope covers its copies any more', () => {
    const points = [point('new', 1), point('orphan', 30, [ok('s3')], { primaryDeleted: true })];
    const plan = planScopedRetention(points, { keepLast: 1 }, [], now);
    expect(plan.unscoped).toEqual([{ id: 'orphan', reason: expect.stringMatching(/no copy destination with its own retention/) as unknown }]);
    expect(plan.deletePoints).toEqual([]);
  });

  it('plans tier moves per scope, from each object’s own class', () => {
    const tiers = (storageClass: string) => [{ afterDays: 30, storageClass }];
    const points = [point('aged', 40, [{ destinationId: 's3', ok: true, storageClass: 'DEEP_ARCHIVE' }, ok('glacier')])];
    const plan = planScopedRetention(
      points,
      { tiers: tiers('STANDARD_IA') },
      [
        { destinationId: 's3', retention: { tiers: tiers('DEEP_ARCHIVE') } },
        { destinationId: 'glacier', retention: { tiers: tiers('GLACIER') } },
      ],
      now,
    );
    expect(plan.transitions).toEqual([
      { id: 'aged', destinationId: null, toStorageClass: 'STANDARD_IA' },
      { id: 'aged', destinationId: 'glacier', toStorageClass: 'GLACIER' },
    ]);
  });

  it('refuses two scopes for one destination', () => {
    const scope: CopyScope = { destinationId: 's3', retention: {} };
    expect(() => planScopedRetention([], {}, [scope, scope], now)).toThrow(/two retention scopes/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties over random histories: a primary scope plus one or two copy scopes, and a destination whose copies
// follow the point.

const SCOPED = ['s3', 'archive'] as const;
const FOLLOWER = 'mirror';
const START = now.getTime() - 3 * 365 * DAY_MS;
const SPAN_S = 3 * 365 * 86_400;

const copyArb = (destinationId: string) =>
  fc.record({
    destinationId: fc.constant(destinationId),
    // Mostly OK, as in a healthy deployment; pending and failed copies are not objects a scope can keep.
    ok: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
    storageClass: fc.constantFrom(null, 'STANDARD_IA', 'GLACIER'),
  });

const pointArb = fc
  .record({
    id: fc.integer({ min: 0, max: 2_000_000 }).map((n) => n.toString(36)),
    createdAt: fc.oneof(
      fc.integer({ min: 0, max: SPAN_S }).map((s) => new Date(START + s * 1000)),
      fc.integer({ min: 0, max: 30 * 24 }).map((h) => new Date(now.getTime() - h * 3_600_000)),
    ),
    verified: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    legalHold: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    lockedUntil: fc.option(
      fc.integer({ min: -365, max: 365 }).map((d) => new Date(now.getTime() + d * DAY_MS)),
      { nil: null, freq: 6 },
    ),
    primaryDeleted: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    storageClass: fc.constantFrom(null, 'STANDARD_IA', 'GLACIER'),
    copies: fc.tuple(fc.option(copyArb('s3'), { nil: null }), fc.option(copyArb('archive'), { nil: null }), fc.option(copyArb(FOLLOWER), { nil: null })),
  })
  .map(({ copies, ...p }): ScopedPoint => {
    const present = copies.filter((c) => c !== null);
    // A pruned primary always left at least one OK copy behind: the state every real catalog is in.
    const primaryDeleted = p.primaryDeleted && present.some((c) => c.ok);
    return { ...p, primaryDeleted, copies: present };
  });

const historyArb = fc.uniqueArray(pointArb, { maxLength: 80, size: 'max', selector: (p) => p.id });

const countArb = fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined, freq: 2 });
const policyArb: fc.Arbitrary<RetentionPolicyInput> = fc.record({
  keepLast: countArb,
  keepDaily: countArb,
  keepWeekly: countArb,
  keepMonthly: countArb,
  keepYearly: countArb,
  keepWithin: fc.option(
    fc.oneof(fc.integer({ min: 1, max: 400 }).map((n) => `${n}d`), fc.integer({ min: 1, max: 3 }).map((n) => `${n}y`)),
    { nil: undefined, freq: 2 },
  ),
  minRetention: fc.option(fc.integer({ min: 1, max: 60 }).map((n) => `${n}d`), { nil: undefined, freq: 3 }),
  tiers: fc.option(fc.constant([{ afterDays: 30, storageClass: 'STANDARD_IA' }, { afterDays: 90, storageClass: 'GLACIER' }]), { nil: undefined }),
});
const scopesArb: fc.Arbitrary<CopyScope[]> = fc
  .subarray([...SCOPED], { minLength: 1 })
  .chain((ids) => fc.tuple(...ids.map((id) => policyArb.map((retention) => ({ destinationId: id, retention })))));

const caseArb = fc.tuple(historyArb, policyArb, scopesArb);
// Sized so the file runs in a few seconds; each run plans up to 80 points with up to three copies each.
const RUNS = 300;

const newestFirst = (a: ScopedPoint, b: ScopedPoint) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const goodObjects = (p: ScopedPoint) => (p.primaryDeleted ? 0 : 1) + p.copies.filter((c) => c.ok).length;

/** What the catalog looks like once every planned action has been carried out, as the executors do it. */
function applyPlan(points: readonly ScopedPoint[], plan: ScopedRetentionPlan): ScopedPoint[] {
  const whole = new Set(plan.deletePoints.map((d) => d.id));
  const primaries = new Map(plan.prunePrimaries.map((p) => [p.id, p]));
  const after: ScopedPoint[] = [];
  for (const p of points) {
    if (whole.has(p.id)) continue;
    const pruned = primaries.get(p.id);
    const gone = new Set([...(pruned?.followers ?? []), ...plan.pruneCopies.filter((c) => c.pointId === p.id).map((c) => c.destinationId)]);
    const next = { ...p, primaryDeleted: p.primaryDeleted || pruned !== undefined, copies: p.copies.filter((c) => !gone.has(c.destinationId)) };
    // pruneCopy deletes the point row when the primary is gone and no OK copy is left.
    if (next.primaryDeleted && !next.copies.some((c) => c.ok)) continue;
    after.push(next);
  }
  return after;
}

describe('planScopedRetention: properties', () => {
  it('never touches a point under legal hold or a running lock, in any scope', () => {
    fc.assert(
      fc.property(caseArb, ([points, policy, scopes]) => {
        const plan = planScopedRetention(points, policy, scopes, now);
        const touched = new Set([...plan.deletePoints.map((d) => d.id), ...plan.prunePrimaries.map((p) => p.id), ...plan.pruneCopies.map((c) => c.pointId)]);
        for (const p of points) {
          if (p.legalHold || (p.lockedUntil !== null && p.lockedUntil.getTime() > now.getTime())) expect(touched.has(p.id)).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("keeps every scope's newest verified object", () => {
    fc.assert(
      fc.property(caseArb, ([points, policy, scopes]) => {
        const plan = planScopedRetention(points, policy, scopes, now);
        const whole = new Set(plan.deletePoints.map((d) => d.id));
        const primaryNewest = points.filter((p) => !p.primaryDeleted && p.verified).sort(newestFirst)[0];
        if (primaryNewest) {
          expect(whole.has(primaryNewest.id)).toBe(false);
          expect(plan.prunePrimaries.some((p) => p.id === primaryNewest.id)).toBe(false);
        }
        for (const scope of scopes) {
          const newest = points.filter((p) => p.verified && p.copies.some((c) => c.ok && c.destinationId === scope.destinationId)).sort(newestFirst)[0];
          if (!newest) continue;
          expect(whole.has(newest.id)).toBe(false);
          expect(plan.pruneCopies.some((c) => c.pointId === newest.id && c.destinationId === scope.destinationId)).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never deletes an object a scope keeps, and a kept point never loses its last object', () => {
    fc.assert(
      fc.property(caseArb, ([points, policy, scopes]) => {
        const plan = planScopedRetention(points, policy, scopes, now);
        const after = new Map(applyPlan(points, plan).map((p) => [p.id, p]));
        const primaryKept = new Set(plan.primary.keep.map((k) => k.id));
        for (const p of points) {
          const rest = after.get(p.id);
          if (primaryKept.has(p.id)) expect(rest?.primaryDeleted).toBe(false);
          plan.copies.forEach(({ destinationId, plan: scopePlan }) => {
            if (scopePlan.keep.some((k) => k.id === p.id)) expect(rest?.copies.some((c) => c.destinationId === destinationId && c.ok)).toBe(true);
          });
          // Gone entirely only by a planned whole deletion or by pruning its last object, and never left empty.
          if (rest) expect(goodObjects(rest)).toBeGreaterThan(0);
          else {
            const byLastCopy = plan.pruneCopies.some((c) => c.pointId === p.id && c.lastObject);
            expect(plan.deletePoints.some((d) => d.id === p.id) || byLastCopy).toBe(true);
          }
        }
        // lastObject is set exactly on the points the executors end up deleting through a copy prune.
        for (const c of plan.pruneCopies) if (c.lastObject) expect(after.has(c.pointId)).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the decisions apart: a point is deleted whole, or parts of it are pruned, never both', () => {
    fc.assert(
      fc.property(caseArb, ([points, policy, scopes]) => {
        const plan = planScopedRetention(points, policy, scopes, now);
        const whole = new Set(plan.deletePoints.map((d) => d.id));
        expect(whole.size).toBe(plan.deletePoints.length);
        for (const p of plan.prunePrimaries) {
          expect(whole.has(p.id)).toBe(false);
          expect(p.keptBy.length).toBeGreaterThan(0);
        }
        for (const c of plan.pruneCopies) expect(whole.has(c.pointId)).toBe(false);
        for (const id of plan.unscoped.map((u) => u.id)) expect(points.find((p) => p.id === id)?.primaryDeleted).toBe(true);
        // Every object that moves stays.
        const after = new Map(applyPlan(points, plan).map((p) => [p.id, p]));
        for (const t of plan.transitions) {
          const rest = after.get(t.id);
          if (t.destinationId === null) expect(rest?.primaryDeleted).toBe(false);
          else expect(rest?.copies.some((c) => c.destinationId === t.destinationId && c.ok)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('has nothing left to delete once its plan has been carried out', () => {
    fc.assert(
      fc.property(caseArb, ([points, policy, scopes]) => {
        const first = planScopedRetention(points, policy, scopes, now);
        const second = planScopedRetention(applyPlan(points, first), policy, scopes, now);
        expect(second.deletePoints).toEqual([]);
        expect(second.prunePrimaries).toEqual([]);
        expect(second.pruneCopies).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('with copies that all follow their point, is the single-scope plan', () => {
    fc.assert(
      fc.property(historyArb, policyArb, (points, policy) => {
        const live = points.map((p) => ({ ...p, primaryDeleted: false }));
        const plan = planScopedRetention(live, policy, [], now);
        expect(plan.deletePoints).toEqual(plan.primary.delete);
        expect(plan.prunePrimaries).toEqual([]);
        expect(plan.pruneCopies).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
