import { getEngine, isEngineKind } from '@/server/engines/registry';
import type { Prisma, Tx } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { restoreSecretFields, SEALED } from '@/server/restores/target-secrets';
import { approvalRuleFor, countingApprovers, voidReason, type PersonNow } from './rules';

/** What every read of a request loads: requester, source, point, and the whole chain of decisions with their people. */
export const REQUEST_INCLUDE = {
  requester: { select: { id: true, email: true } },
  source: { select: { name: true, kind: true, config: true, service: { select: { tier: { select: { name: true, restoreApprovals: true } } } } } },
  recoveryPoint: { select: { createdAt: true, sizeBytes: true } },
  decisions: {
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: { approver: { select: { id: true, email: true, role: true, disabled: true } } },
  },
} as const satisfies Prisma.RestoreRequestInclude;

export type LoadedRequest = Prisma.RestoreRequestGetPayload<{ include: typeof REQUEST_INCLUDE }>;

/** The approvers' role and disabled flag as they are now (what the rules judge by). */
export function peopleOf(row: LoadedRequest): Map<string, PersonNow> {
  return new Map(row.decisions.map((d) => [d.approverId, { role: d.approver.role, disabled: d.approver.disabled }]));
}

/** The counting approvals of a loaded request (see rules.countingApprovers). */
export function countingOf(row: LoadedRequest): string[] {
  return countingApprovers(row.decisions, { paramsHash: row.paramsHash, requesterId: row.requesterId }, peopleOf(row));
}

function replacesOf(row: LoadedRequest): string | null {
  if (!row.destructive || !isEngineKind(row.source.kind)) return null;
  const mode = getEngine(row.source.kind).restoreModes.find((m) => m.mode === row.mode);
  try {
    return mode?.replaces?.(row.source.config, row.target) ?? null;
  } catch {
    // A config the engine no longer parses: the risk panel says nothing rather than fail the read.
    return null;
  }
}

/**
 * The public shape of a restore request (API and the approvals inbox): the rule, the approvals that count now, the
 * whole chain of decisions (voided ones too, each saying why it no longer counts), the edit history and the risk.
 */
export function toRestoreRequestDto(row: LoadedRequest, users: ReadonlyMap<string, { id: string; email: string }>, now = new Date()) {
  const people = peopleOf(row);
  const current = { paramsHash: row.paramsHash, requesterId: row.requesterId };
  const counting = new Set(countingApprovers(row.decisions, current, people));
  const person = (id: string | null) => (id ? (users.get(id) ?? { id, email: null }) : null);
  const rule = ruleTextOf(row);
  return {
    id: row.id,
    recoveryPointId: row.recoveryPointId,
    sourceId: row.sourceId,
    sourceName: row.source.name,
    /** As stored: a secret field given holds `"(sealed)"` (its value is sealed with the request, never shown). */
    target: row.target,
    /** The target's fields whose values are sealed (e.g. `["password"]`). */
    sealedFields: sealedFieldsOf(row.source.kind, row.target),
    mode: row.mode,
    destructive: row.destructive,
    reason: row.reason,
    requester: { id: row.requester.id, email: row.requester.email },
    viaTokenId: row.requesterTokenId,
    status: row.status,
    requiredApprovals: row.requiredApprovals,
    requiresAdminApproval: row.requiresAdminApproval,
    rule,
    approvals: row.decisions
      .filter((d) => d.decision === 'APPROVE' && counting.has(d.approverId) && d.paramsHash === row.paramsHash)
      .map((d) => ({ approver: { id: d.approver.id, email: d.approver.email, role: d.approver.role }, comment: d.comment, version: d.version, at: d.createdAt.toISOString() })),
    decisions: row.decisions.map((d) => {
      const voided = d.decision === 'APPROVE' ? voidReason(d, current, people) : d.paramsHash === row.paramsHash ? null : 'edited';
      return {
        id: d.id,
        decision: d.decision,
        approver: { id: d.approver.id, email: d.approver.email, role: d.approver.role, disabled: d.approver.disabled },
        roleAtDecision: d.roleAtDecision,
        viaTokenId: d.viaTokenId,
        comment: d.comment,
        version: d.version,
        counts: voided === null,
        voided,
        at: d.createdAt.toISOString(),
      };
    }),
    version: row.version,
    history: row.history,
    expiresAt: row.expiresAt.toISOString(),
    expired: row.status === 'EXPIRED' || ((row.status === 'PENDING_APPROVAL' || row.status === 'APPROVED') && row.expiresAt <= now),
    runId: row.runId,
    breakGlass: row.breakGlass,
    breakGlassReason: row.breakGlassReason,
    breakGlassBy: person(row.breakGlassById),
    breakGlassAcknowledged: row.breakGlassAckAt !== null,
    breakGlassAcknowledgedAt: row.breakGlassAckAt?.toISOString() ?? null,
    breakGlassAcknowledgedBy: person(row.breakGlassAckById),
    risk: {
      destructive: row.destructive,
      pointAge: row.recoveryPoint ? Math.max(0, Math.floor((now.getTime() - row.recoveryPoint.createdAt.getTime()) / 1000)) : null,
      pointSize: row.recoveryPoint ? Number(row.recoveryPoint.sizeBytes) : null,
      replaces: replacesOf(row),
    },
    closedAt: row.closedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
export type RestoreRequestDto = ReturnType<typeof toRestoreRequestDto>;

/** The engine's secret fields that the stored target marks as sealed. */
function sealedFieldsOf(kind: string, target: unknown): string[] {
  if (!isEngineKind(kind) || target === null || typeof target !== 'object' || Array.isArray(target)) return [];
  return restoreSecretFields(getEngine(kind)).filter((f) => (target as Record<string, unknown>)[f] === SEALED);
}

/**
 * The rule in words. The request keeps the numbers it was made (or last edited) under; the words come from the
 * source's tier as it is now, and only when they still describe those numbers (a tier edited since: the numbers).
 */
function ruleTextOf(row: LoadedRequest): string {
  const now = approvalRuleFor(row.source.service?.tier ?? null, row.destructive);
  if (now.requiredApprovals === row.requiredApprovals && now.requiresAdminApproval === row.requiresAdminApproval) return now.rule;
  if (row.requiredApprovals === 0) return 'no approval needed when requested';
  const n = `${row.requiredApprovals} approval${row.requiredApprovals === 1 ? '' : 's'}`;
  return `${row.requiresAdminApproval ? `${n}, one of them from an admin` : n} (the rule when requested)`;
}

/** Emails of the people a set of requests names outside their decisions (break-glass admin, acknowledger). */
export async function usersOf(reader: Tx, rows: readonly LoadedRequest[]) {
  const ids = [...new Set(rows.flatMap((r) => [r.breakGlassById, r.breakGlassAckById]).filter((x): x is string => x !== null))];
  if (ids.length === 0) return new Map<string, { id: string; email: string }>();
  const users = await reader.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } });
  return new Map(users.map((u) => [u.id, u]));
}

export async function loadRequest(reader: Tx, id: string): Promise<LoadedRequest> {
  const row = await reader.restoreRequest.findUnique({ where: { id }, include: REQUEST_INCLUDE });
  if (!row) throw notFound('restore request', id);
  return row;
}

export async function loadRequestDto(reader: Tx, id: string) {
  const row = await loadRequest(reader, id);
  return toRestoreRequestDto(row, await usersOf(reader, [row]));
}
