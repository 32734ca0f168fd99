import { describe, expect, it } from 'vitest';
import { approvalRuleFor, countingApprovers, isSatisfied, paramsHash, voidReason, type Decision, type PersonNow } from './rules';

const tier = (restoreApprovals: number) => ({ name: 'tier-1-critical', restoreApprovals });
const people = new Map<string, PersonNow>([
  ['req', { role: 'OPERATOR', disabled: false }],
  ['a1', { role: 'APPROVER', disabled: false }],
  ['a2', { role: 'APPROVER', disabled: false }],
  ['adm', { role: 'ADMIN', disabled: false }],
  ['gone', { role: 'APPROVER', disabled: true }],
  ['demoted', { role: 'VIEWER', disabled: false }],
]);
const current = { paramsHash: 'h2', requesterId: 'req' };
const approve = (approverId: string, hash = 'h2'): Decision => ({ approverId, decision: 'APPROVE', paramsHash: hash });

describe('approval rules', () => {
  it("take the tier's count; no tier is no approval rule; destructive adds one, from an admin", () => {
    expect(approvalRuleFor(null, false)).toEqual({ requiredApprovals: 0, requiresAdminApproval: false, rule: 'no approval rule' });
    expect(approvalRuleFor(tier(2), false)).toEqual({ requiredApprovals: 2, requiresAdminApproval: false, rule: 'tier tier-1-critical: 2 approvals' });
    expect(approvalRuleFor(tier(0), false).requiredApprovals).toBe(0);
    expect(approvalRuleFor(tier(2), true)).toMatchObject({ requiredApprovals: 3, requiresAdminApproval: true, rule: expect.stringMatching(/one of them from an admin/) });
    expect(approvalRuleFor(null, true)).toMatchObject({ requiredApprovals: 1, requiresAdminApproval: true });
  });

  it('count distinct, eligible-now approvers of the current parameters, never the requester', () => {
    const decisions = [approve('a1'), approve('a1'), approve('req'), approve('a2', 'h1'), approve('gone'), approve('demoted'), { ...approve('adm'), decision: 'REJECT' as const }];
    expect(countingApprovers(decisions, current, people)).toEqual(['a1']);
    expect(voidReason(approve('a2', 'h1'), current, people)).toBe('edited');
    expect(voidReason(approve('gone'), current, people)).toBe('approver no longer eligible');
    expect(voidReason(approve('req'), current, people)).toBe('requester');
  });

  it('are satisfied by enough approvers, with an admin among them when required', () => {
    expect(isSatisfied({ requiredApprovals: 2, requiresAdminApproval: false }, ['a1', 'a2'], people)).toBe(true);
    expect(isSatisfied({ requiredApprovals: 2, requiresAdminApproval: false }, ['a1'], people)).toBe(false);
    expect(isSatisfied({ requiredApprovals: 2, requiresAdminApproval: true }, ['a1', 'a2'], people)).toBe(false);
    expect(isSatisfied({ requiredApprovals: 2, requiresAdminApproval: true }, ['a1', 'adm'], people)).toBe(true);
    expect(isSatisfied({ requiredApprovals: 0, requiresAdminApproval: false }, [], people)).toBe(true);
  });

  it('hash the canonical (point, target, mode): key order does not matter, every field does', () => {
    const base = { recoveryPointId: 'p', target: { database: 'x', host: 'h' }, mode: 'new' };
    expect(paramsHash(base)).toBe(paramsHash({ mode: 'new', target: { host: 'h', database: 'x' }, recoveryPointId: 'p' }));
    expect(paramsHash(base)).not.toBe(paramsHash({ ...base, target: { database: 'y', host: 'h' } }));
    expect(paramsHash(base)).not.toBe(paramsHash({ ...base, mode: 'in-place' }));
    expect(paramsHash(base)).not.toBe(paramsHash({ ...base, recoveryPointId: 'q' }));
    expect(paramsHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });
});
