import { describe, expect, it } from 'vitest';
import type { RestoreRequest } from './types';
import { changesSinceApproval, paramChanges, pointWords, progressText } from './words';

type Decision = RestoreRequest['decisions'][number];

const decision = (over: Partial<Decision>): Decision => ({
  id: 'd1',
  decision: 'APPROVE',
  approver: { id: 'u2', email: 'ann@example.com', role: 'APPROVER', disabled: false },
  roleAtDecision: 'APPROVER',
  viaTokenId: null,
  comment: null,
  version: 1,
  counts: true,
  voided: null,
  at: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('progressText', () => {
  it('counts approvals against the rule and says when an admin is still needed', () => {
    const a = { approver: { id: 'u2', email: 'a', role: 'APPROVER' as const }, comment: null, version: 1, at: '' };
    expect(progressText({ approvals: [], requiredApprovals: 0, requiresAdminApproval: false })).toBe('no approval needed');
    expect(progressText({ approvals: [a], requiredApprovals: 2, requiresAdminApproval: false })).toBe('1 of 2 approvals');
    expect(progressText({ approvals: [a], requiredApprovals: 2, requiresAdminApproval: true })).toBe('1 of 2 approvals, one from an admin still needed');
  });
});

describe('pointWords', () => {
  it('says the age and size in words', () => {
    expect(pointWords({ destructive: false, pointAge: 3 * 3600 + 300, pointSize: 2048, replaces: null })).toBe('backup from 3 h 5 min ago, 2.0 kB');
    expect(pointWords({ destructive: false, pointAge: null, pointSize: null, replaces: null })).toBe('the recovery point was deleted');
  });
});

describe('changesSinceApproval', () => {
  it('compares the parameters an earlier approval saw with the current ones', () => {
    const r = {
      version: 2,
      recoveryPointId: 'p1',
      target: { database: 'orders_b' },
      mode: 'new',
      history: [{ version: 1, recoveryPointId: 'p1', target: { database: 'orders_a' }, mode: 'new', reason: 'x' }],
      decisions: [decision({ version: 1, voided: 'edited', counts: false })],
    };
    expect(changesSinceApproval(r)).toMatchObject({ since: { version: 1 }, changes: [{ field: 'Target database', from: 'orders_a', to: 'orders_b' }] });
  });

  it('is null without an approval of an earlier version, or when only the reason changed', () => {
    const base = { version: 1, recoveryPointId: 'p1', target: {}, mode: 'new', history: [], decisions: [decision({})] };
    expect(changesSinceApproval(base)).toBeNull();
    expect(
      changesSinceApproval({ ...base, version: 2, history: [{ version: 1, recoveryPointId: 'p1', target: {}, mode: 'new', reason: 'old' }] }),
    ).toBeNull();
  });

  it('lists point and mode changes', () => {
    expect(paramChanges({ recoveryPointId: 'a', target: {}, mode: 'new' }, { recoveryPointId: 'b', target: {}, mode: 'in-place' }).map((c) => c.field)).toEqual([
      'Recovery point',
      'Mode',
    ]);
  });
});
