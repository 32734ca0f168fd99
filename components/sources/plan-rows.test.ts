import { describe, expect, it } from 'vitest';
import type { PruningPlan, RecoveryPoint } from '@/components/api/types';
import { planRows, pruneCounts, pruneSentence } from './plan-rows';

const at = (hour: number) => `2026-03-01T${String(hour).padStart(2, '0')}:00:00.000Z`;
const point = (id: string, hour: number, primaryDeletedAt: string | null = null) => ({
  id,
  createdAt: at(hour),
  sizeBytes: 100,
  verified: false,
  legalHold: false,
  lockedUntil: null,
  primaryDeletedAt,
});
const offsite = { destinationId: 'd-off', destinationName: 'offsite' };
const mirror = { destinationId: 'd-mir', destinationName: 'mirror' };

/**
 * Primary scope: keeps p5 (moves to IA), deletes p4 whole and only the primary of p3 (offsite keeps it; the mirror
 * copy follows). Offsite scope (p2, p1, p0 lost their primary before): keeps p5 and p3 (p3 moves to GLACIER),
 * deletes its copy of p2 (the last object: the point goes) and of p1 (another object remains). p0 is unscoped.
 */
const plan: PruningPlan = {
  sourceId: 's',
  policyId: 'pol',
  retention: { keepLast: 1, timezone: 'UTC', tiers: [{ afterDays: 0, storageClass: 'STANDARD_IA' }] },
  now: at(12),
  keep: [{ ...point('p5', 5), reasons: ['keep-last 1'] }],
  delete: [
    { ...point('p4', 4), reason: 'not among the last 1', outcome: 'delete-point', keptBy: [] },
    { ...point('p3', 3), reason: 'not among the last 1', outcome: 'prune-primary', keptBy: [offsite] },
  ],
  transitions: [{ id: 'p5', toStorageClass: 'STANDARD_IA' }],
  copyScopes: [
    {
      ...offsite,
      retention: { keepWithin: '3h', timezone: 'UTC' },
      keep: [
        { ...point('p5', 5), reasons: ['within 3h'] },
        { ...point('p3', 3), reasons: ['within 3h'] },
      ],
      delete: [
        { ...point('p4', 4), reason: 'older than …', outcome: 'delete-point' },
        { ...point('p2', 2, at(6)), reason: 'older than 3h before …', outcome: 'prune-last-copy' },
        { ...point('p1', 1, at(6)), reason: 'older than 3h before …', outcome: 'prune-copy' },
      ],
      transitions: [{ id: 'p3', toStorageClass: 'GLACIER' }],
    },
  ],
  unscoped: [{ ...point('p0', 0, at(6)), reason: 'primary pruned; no copy destination with its own retention holds a copy of it' }],
  actions: {
    deletePoints: [{ id: 'p4', reason: 'not among the last 1' }],
    prunePrimaries: [{ id: 'p3', reason: 'not among the last 1', keptBy: [offsite], followers: [mirror] }],
    pruneCopies: [
      { ...offsite, pointId: 'p2', reason: 'older than 3h before …', lastObject: true },
      { ...offsite, pointId: 'p1', reason: 'older than 3h before …', lastObject: false },
    ],
  },
};

describe('planRows', () => {
  it('one row per point, newest first, with every scope verdict, action and move', () => {
    const rows = planRows(plan);
    expect(rows.map((r) => [r.id, r.decision])).toEqual([
      ['p5', 'keep'],
      ['p4', 'delete'],
      ['p3', 'partial'],
      ['p2', 'delete'],
      ['p1', 'partial'],
      ['p0', 'keep'],
    ]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId.p5).toMatchObject({
      actions: [],
      verdicts: [
        { scope: 'primary', verdict: 'keep', text: 'keep-last 1' },
        { scope: 'offsite', verdict: 'keep', text: 'within 3h' },
      ],
      moves: ['primary → STANDARD_IA'],
    });
    expect(byId.p4!.actions).toEqual(['Delete the point and all its objects']);
    expect(byId.p3!.actions).toEqual(['Prune the primary only; kept on offsite (the copies on mirror go with it)']);
    expect(byId.p3!.moves).toEqual(['offsite → GLACIER']);
    expect(byId.p2!.actions).toEqual(['Delete the copy on offsite: its last object, so the point goes too']);
    expect(byId.p2!.verdicts[0]).toEqual({ scope: 'primary', verdict: 'pruned', text: 'already pruned' });
    expect(byId.p1!.actions).toEqual(['Delete the copy on offsite']);
    expect(byId.p0!.verdicts).toEqual([
      { scope: 'primary', verdict: 'pruned', text: 'already pruned' },
      { scope: 'copies', verdict: 'keep', text: 'primary pruned; no copy destination with its own retention holds a copy of it' },
    ]);
  });
});

describe('pruneCounts and pruneSentence', () => {
  const listed = (id: string, extra: number, primaryPruned = false) =>
    ({
      id,
      primaryDeletedAt: primaryPruned ? at(6) : null,
      storedCopies: { extra: Array.from({ length: extra }, () => ({ destinationName: 'x', status: 'COPY_OK' })) },
    }) as unknown as RecoveryPoint;

  it('counts points, primaries, copies and every stored object that goes', () => {
    // p4: primary + 2 copies; p3: primary + its mirror follower; p2: last copy + 1 failed copy; p1: one copy.
    const counts = pruneCounts(plan, [listed('p4', 2), listed('p3', 2), listed('p2', 2, true), listed('p1', 2, true)]);
    expect(counts).toEqual({ points: 2, primaries: 1, copies: 1, objects: 3 + 2 + 2 + 1, moves: 2 });
    expect(pruneSentence(counts)).toBe('2 recovery points, the primary object of 1 point and 1 copy: 8 stored objects in all.');
  });

  it('says when there is nothing to delete', () => {
    const none = { points: 0, primaries: 0, copies: 0, objects: 0, moves: 0 };
    expect(pruneSentence(none)).toBe('nothing.');
    expect(pruneSentence({ ...none, points: 1, objects: 1 })).toBe('1 recovery point: 1 stored object in all.');
  });
});
