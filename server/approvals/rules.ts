import crypto from 'node:crypto';

/**
 * The approval rules of restore requests, as pure functions: the verbs load the facts (tier, decisions, the
 * approvers' current role and disabled flag) and ask these; the model-based test (`rules.model.test.ts`) drives them
 * through random histories.
 */

export type Role = 'VIEWER' | 'OPERATOR' | 'APPROVER' | 'ADMIN';

/** Roles whose approvals count. An approver reviews; an admin may do everything an approver does. */
export const APPROVING_ROLES: ReadonlySet<Role> = new Set<Role>(['APPROVER', 'ADMIN']);

/** Deterministic JSON (sorted keys, undefined dropped): equal values, equal text, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface RestoreParams {
  recoveryPointId: string;
  target: unknown;
  mode: string;
  /**
   * A keyed digest of the target's sealed secret values (server/restores/target-secrets.ts `secretsDigest`), when it
   * has any: a changed password changes the hash (and voids the approvals) without the hash revealing it.
   */
  secretsDigest?: string;
}

/**
 * sha256 of the canonical (point, target, mode, secrets digest): what an approval is bound to. Canonical JSON (sorted
 * keys), so `{ a, b }` and `{ b, a }` hash alike and an edit that changes nothing keeps the approvals. Without
 * secrets the hash is what it always was.
 */
export function paramsHash(p: RestoreParams): string {
  return crypto
    .createHash('sha256')
    .update(
      canonicalJson({
        recoveryPointId: p.recoveryPointId,
        target: p.target ?? null,
        mode: p.mode,
        ...(p.secretsDigest !== undefined && { sealedSecrets: p.secretsDigest }),
      }),
    )
    .digest('hex');
}

export interface ApprovalRule {
  requiredApprovals: number;
  requiresAdminApproval: boolean;
  /** In words, for the request's DTO and the inbox ("tier tier-1-critical: 2 approvals"). */
  rule: string;
}

const approvals = (n: number) => `${n} approval${n === 1 ? '' : 's'}`;

/**
 * The rule of a restore: the source's tier's `restoreApprovals` (a source without a tier: none, "no approval rule");
 * a destructive mode needs one approval more, of which one from an admin — also without a tier, since what it
 * replaces is gone once it ran.
 */
export function approvalRuleFor(tier: { name: string; restoreApprovals: number } | null, destructive: boolean): ApprovalRule {
  const base = tier?.restoreApprovals ?? 0;
  if (destructive) {
    const n = base + 1;
    const from = tier ? `tier ${tier.name}: ${approvals(base)} + 1 for a destructive restore` : 'destructive restore without a tier: 1 approval';
    return { requiredApprovals: n, requiresAdminApproval: true, rule: `${from}, one of them from an admin` };
  }
  if (!tier) return { requiredApprovals: 0, requiresAdminApproval: false, rule: 'no approval rule' };
  if (base === 0) return { requiredApprovals: 0, requiresAdminApproval: false, rule: `tier ${tier.name}: no approval needed` };
  return { requiredApprovals: base, requiresAdminApproval: false, rule: `tier ${tier.name}: ${approvals(base)}` };
}

export interface Decision {
  approverId: string;
  decision: 'APPROVE' | 'REJECT';
  paramsHash: string;
}

export interface PersonNow {
  role: Role;
  disabled: boolean;
}

/** Whether a person may approve now: an approver or admin whose account is enabled. */
export function isEligible(person: PersonNow | undefined): boolean {
  return person !== undefined && !person.disabled && APPROVING_ROLES.has(person.role);
}

export type VoidReason = 'edited' | 'approver no longer eligible' | 'requester' | null;

/** Why a decision no longer counts (null: it counts), judged against the request's current hash and people. */
export function voidReason(d: Decision, current: { paramsHash: string; requesterId: string }, people: ReadonlyMap<string, PersonNow>): VoidReason {
  if (d.approverId === current.requesterId) return 'requester';
  if (d.paramsHash !== current.paramsHash) return 'edited';
  if (!isEligible(people.get(d.approverId))) return 'approver no longer eligible';
  return null;
}

/**
 * The approvals that count: APPROVE decisions on the current parameters, by distinct people other than the
 * requester who are eligible NOW (role and disabled flag as they are, not as they were when deciding).
 */
export function countingApprovers(
  decisions: readonly Decision[],
  current: { paramsHash: string; requesterId: string },
  people: ReadonlyMap<string, PersonNow>,
): string[] {
  const ids = new Set<string>();
  for (const d of decisions) if (d.decision === 'APPROVE' && voidReason(d, current, people) === null) ids.add(d.approverId);
  return [...ids];
}

/** Whether the counting approvals satisfy the rule (enough of them, and an admin among them when required). */
export function isSatisfied(
  rule: Pick<ApprovalRule, 'requiredApprovals' | 'requiresAdminApproval'>,
  approvers: readonly string[],
  people: ReadonlyMap<string, PersonNow>,
): boolean {
  if (approvers.length < rule.requiredApprovals) return false;
  if (rule.requiresAdminApproval && !approvers.some((id) => people.get(id)?.role === 'ADMIN')) return false;
  return true;
}

/** Whether a request can still be acted on at `now` (expiry is checked by time, whatever the sweep has done yet). */
export const isExpiredAt = (expiresAt: Date, now: Date): boolean => expiresAt.getTime() <= now.getTime();

// A reason a person can read in the audit trail and the banner; 15 characters rules out "x", "urgent", "asap".
export const BREAK_GLASS_MIN_REASON = 15;
