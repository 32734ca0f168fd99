import { formatBytes, formatSeconds } from '@/components/ui/format';
import type { RestoreRequest, RestoreRequestDecision } from './types';

/** A status as people say it. */
export const STATUS_WORDS: Record<RestoreRequest['status'], string> = {
  PENDING_APPROVAL: 'waiting for approval',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  CANCELLED: 'cancelled',
  EXECUTED: 'executed',
};

export const STATUS_TONE: Record<RestoreRequest['status'], 'info' | 'success' | 'danger' | 'warning' | 'neutral'> = {
  PENDING_APPROVAL: 'warning',
  APPROVED: 'info',
  REJECTED: 'danger',
  EXPIRED: 'neutral',
  CANCELLED: 'neutral',
  EXECUTED: 'success',
};

/** Whether a request can still be decided, edited, executed or broken glass on. */
export const isOpen = (r: Pick<RestoreRequest, 'status' | 'expired'>) => (r.status === 'PENDING_APPROVAL' || r.status === 'APPROVED') && !r.expired;

/** "1 of 2 approvals" (plus "one from an admin" when the rule asks for it, and whether it has one). */
export function progressText(r: Pick<RestoreRequest, 'approvals' | 'requiredApprovals' | 'requiresAdminApproval'>): string {
  if (r.requiredApprovals === 0) return 'no approval needed';
  const n = r.approvals.length;
  const base = `${Math.min(n, r.requiredApprovals)} of ${r.requiredApprovals} approval${r.requiredApprovals === 1 ? '' : 's'}`;
  if (!r.requiresAdminApproval) return base;
  return `${base}, ${r.approvals.some((a) => a.approver.role === 'ADMIN') ? 'an admin among them' : 'one from an admin still needed'}`;
}

/** The point's age and size in words: "backup from 3 h 5 min ago, 12.3 MB". */
export function pointWords(risk: RestoreRequest['risk']): string {
  const age = risk.pointAge === null ? 'the recovery point was deleted' : `backup from ${risk.pointAge < 1 ? 'just now' : `${formatSeconds(risk.pointAge)} ago`}`;
  return risk.pointSize === null ? age : `${age}, ${formatBytes(risk.pointSize)}`;
}

/** A target object in words: `{ database: "x" }` → "database x". */
export function targetWords(target: unknown): string {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return String(target);
  const entries = Object.entries(target as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== false);
  if (entries.length === 0) return '(default target)';
  return entries.map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}

/** One line of the "changed since the approval" list. */
export interface ChangeLine {
  field: string;
  from: string;
  to: string;
}

interface Params {
  recoveryPointId: string | null;
  target: unknown;
  mode: string;
}

const show = (v: unknown) => (v === undefined || v === null || v === '' ? '(none)' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** What differs between two sets of restore parameters (point, each target field, mode), in the order a person reads them. */
export function paramChanges(before: Params, after: Params): ChangeLine[] {
  const lines: ChangeLine[] = [];
  if (before.recoveryPointId !== after.recoveryPointId) lines.push({ field: 'Recovery point', from: show(before.recoveryPointId), to: show(after.recoveryPointId) });
  const bt = (before.target && typeof before.target === 'object' ? before.target : {}) as Record<string, unknown>;
  const at = (after.target && typeof after.target === 'object' ? after.target : {}) as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(bt), ...Object.keys(at)])].sort()) {
    if (JSON.stringify(bt[key] ?? null) !== JSON.stringify(at[key] ?? null)) lines.push({ field: `Target ${key}`, from: show(bt[key]), to: show(at[key]) });
  }
  if (before.mode !== after.mode) lines.push({ field: 'Mode', from: before.mode, to: after.mode });
  return lines;
}

interface HistoryEntry extends Params {
  version: number;
}

function historyOf(r: Pick<RestoreRequest, 'history'>): HistoryEntry[] {
  const history: unknown = r.history;
  if (!Array.isArray(history)) return [];
  return history.filter(
    (h: unknown): h is HistoryEntry => typeof h === 'object' && h !== null && !Array.isArray(h) && typeof (h as { version?: unknown }).version === 'number',
  );
}

/**
 * What changed since the most recent approval that an edit voided: that approval's version's parameters (from
 * `history`) against the request's current ones. Null when no approval was given to an earlier version.
 */
export function changesSinceApproval(
  r: Pick<RestoreRequest, 'history' | 'decisions' | 'recoveryPointId' | 'target' | 'mode' | 'version'>,
): { since: RestoreRequestDecision; changes: ChangeLine[] } | null {
  const earlier = r.decisions.filter((d) => d.decision === 'APPROVE' && d.version < r.version);
  const since = earlier[earlier.length - 1];
  if (!since) return null;
  const then = historyOf(r).find((h) => h.version === since.version);
  if (!then) return null;
  const changes = paramChanges(then, { recoveryPointId: r.recoveryPointId, target: r.target, mode: r.mode });
  return changes.length === 0 ? null : { since, changes };
}

/** Why a decision no longer counts, as a sentence's end. */
export function voidedWords(reason: string): string {
  switch (reason) {
    case 'edited':
      return 'the request was edited after it';
    case 'approver no longer eligible':
      return 'the approver is no longer an enabled approver or admin';
    case 'requester':
      return 'it came from the requester';
    default:
      return reason;
  }
}

/** The states a list can be filtered by, in the order a request goes through them. */
export const RESTORE_REQUEST_STATUSES_UI = ['PENDING_APPROVAL', 'APPROVED', 'EXECUTED', 'REJECTED', 'CANCELLED', 'EXPIRED'] as const satisfies readonly RestoreRequest['status'][];
