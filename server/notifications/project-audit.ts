import type { NotificationEventName, NotificationPayload } from './events';

/** The audit columns the projection reads. */
export interface AuditRow {
  id: bigint;
  at: Date;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  result: string;
}

/** What the scan looked up for one page of audit events (ids → rows), so the projection itself stays pure. */
export interface ProjectionLookups {
  runs: ReadonlyMap<string, { kind: string; status: string; sourceId: string; error: string | null; restoreRequestId: string | null }>;
  requests: ReadonlyMap<string, { sourceId: string; mode: string; destructive: boolean; reason: string; requiredApprovals: number; runId: string | null }>;
  points: ReadonlyMap<string, { sourceId: string }>;
  sources: ReadonlyMap<string, string>;
  link: (path: string) => string;
}

/** One notification an audit event stands for: its event name, its key (once per channel) and what is sent. */
export interface Projected {
  event: NotificationEventName;
  key: string;
  payload: NotificationPayload;
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The ids a page of audit events needs looked up (runs, restore requests, recovery points, sources). */
export function idsToLookUp(rows: readonly AuditRow[]): { runIds: string[]; requestIds: string[]; pointIds: string[]; sourceIds: string[] } {
  const runIds = new Set<string>();
  const requestIds = new Set<string>();
  const pointIds = new Set<string>();
  const sourceIds = new Set<string>();
  for (const r of rows) {
    const d = (r.details ?? {}) as Record<string, unknown>;
    if (r.targetType === 'run' && r.targetId) runIds.add(r.targetId);
    if (r.targetType === 'restore_request' && r.targetId) requestIds.add(r.targetId);
    if (r.targetType === 'recovery-point' && r.targetId) pointIds.add(r.targetId);
    if (str(d.sourceId)) sourceIds.add(d.sourceId as string);
    if (str(d.runId)) runIds.add(d.runId as string);
  }
  return { runIds: [...runIds], requestIds: [...requestIds], pointIds: [...pointIds], sourceIds: [...sourceIds] };
}

/** The actions the projection reads: anything else is skipped without a lookup. */
export const PROJECTED_ACTIONS = new Set([
  'run.finish',
  'recovery-point.verify-failed',
  'restore.request',
  'restore-request.create',
  'restore-request.approve',
  'restore-request.reject',
  'restore-request.break-glass',
  'audit.verify-failed',
  'audit.anchor',
]);

/**
 * The notification an audit event stands for, or null. Pure: the scan (scan.ts) looks up what it needs first.
 *
 * - `run.finish` of a backup: `backup.failed` / `backup.succeeded` (a cancelled one says nothing); of a verify that
 *   FAILED: `verification.failed`; of a restore, whatever its end: `restore.finished`. Key: the run, so a run is told
 *   once however its end is recorded (the reaper's events carry no kind: the run row has it).
 * - `recovery-point.verify-failed` (written just before its run's FAILED end): `verification.failed` under the same
 *   key as that end, so the one with the point and the error wins and the other adds nothing.
 * - `restore-request.create`, and `restore.request` of a direct restore (one not executing a request):
 *   `restore.requested`. `restore-request.approve` (each approval, saying whether it completed the rule),
 *   `.reject`, `.break-glass`: `restore.approved`, `restore.rejected`, `restore.break-glass`.
 * - `audit.verify-failed`, and an `audit.anchor` refused because the chain does not verify: `audit.chain-broken`.
 */
export function projectAuditEvent(row: AuditRow, look: ProjectionLookups): Projected | null {
  const d = (row.details ?? {}) as Record<string, unknown>;
  const at = row.at.toISOString();
  const sourceRef = (id: string | null | undefined) => (id ? { id, name: look.sources.get(id) ?? '(deleted source)' } : null);
  const make = (
    event: NotificationEventName,
    key: string,
    p: { summary: string; sourceId?: string | null; runId?: string | null; restoreRequestId?: string | null; path: string; details?: Record<string, unknown> },
  ): Projected => ({
    event,
    key,
    payload: {
      id: key,
      event,
      at,
      summary: cut(p.summary, 500),
      source: sourceRef(p.sourceId),
      runId: p.runId ?? null,
      restoreRequestId: p.restoreRequestId ?? null,
      link: look.link(p.path),
      details: { ...(p.details ?? {}), auditEventId: row.id.toString() },
    },
  });
  const named = (sourceId: string | null | undefined) => `"${sourceId ? (look.sources.get(sourceId) ?? 'a deleted source') : 'an unknown source'}"`;

  switch (row.action) {
    case 'run.finish': {
      if (!row.targetId) return null;
      const run = look.runs.get(row.targetId);
      const kind = str(d.kind) ?? run?.kind ?? null;
      const status = str(d.status) ?? run?.status ?? null;
      const error = str(d.error) ?? run?.error ?? null;
      const base = { sourceId: run?.sourceId ?? null, runId: row.targetId, path: `/runs/${row.targetId}` };
      if (kind === 'BACKUP' && status === 'FAILED') {
        return make('backup.failed', `backup.failed:${row.targetId}`, {
          ...base,
          summary: `Backup of ${named(base.sourceId)} failed${error ? `: ${error}` : ''}`,
          details: { status, error, attempt: d.attempt ?? null },
        });
      }
      if (kind === 'BACKUP' && status === 'SUCCEEDED') {
        return make('backup.succeeded', `backup.succeeded:${row.targetId}`, { ...base, summary: `Backup of ${named(base.sourceId)} succeeded`, details: { status } });
      }
      if (kind === 'VERIFY' && status === 'FAILED') {
        return make('verification.failed', `verification.failed:${row.targetId}`, {
          ...base,
          summary: `Verification of a recovery point of ${named(base.sourceId)} failed${error ? `: ${error}` : ''}`,
          details: { status, error },
        });
      }
      if (kind === 'RESTORE' && (status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED')) {
        const how = status === 'SUCCEEDED' ? 'succeeded' : status === 'CANCELLED' ? 'was cancelled' : `failed${error ? `: ${error}` : ''}`;
        return make('restore.finished', `restore.finished:${row.targetId}`, {
          ...base,
          restoreRequestId: run?.restoreRequestId ?? null,
          summary: `Restore of ${named(base.sourceId)} ${how}`,
          details: { status, error },
        });
      }
      return null;
    }
    case 'recovery-point.verify-failed': {
      const runId = str(d.runId);
      const sourceId = row.targetId ? (look.points.get(row.targetId)?.sourceId ?? null) : null;
      const error = str(d.error);
      return make('verification.failed', runId ? `verification.failed:${runId}` : `verification.failed:audit-${row.id}`, {
        sourceId,
        runId,
        path: runId ? `/runs/${runId}` : sourceId ? `/sources/${sourceId}` : '/runs',
        summary: `Verification of a recovery point of ${named(sourceId)} failed${error ? `: ${error}` : ''}`,
        details: { recoveryPointId: row.targetId, error },
      });
    }
    case 'restore.request': {
      // The run of an executed restore request: that request was told as `restore.requested` when it was made.
      if (!row.targetId || str(d.restoreRequestId)) return null;
      const sourceId = str(d.sourceId) ?? look.runs.get(row.targetId)?.sourceId ?? null;
      return make('restore.requested', `restore.requested:run-${row.targetId}`, {
        sourceId,
        runId: row.targetId,
        path: `/runs/${row.targetId}`,
        summary: `${row.actorLabel} started a restore of ${named(sourceId)}${str(d.mode) ? ` (mode ${d.mode as string})` : ''}`,
        details: { mode: d.mode ?? null, recoveryPointId: d.recoveryPointId ?? null, requestedBy: row.actorLabel },
      });
    }
    case 'restore-request.create': {
      if (!row.targetId) return null;
      const sourceId = str(d.sourceId) ?? look.requests.get(row.targetId)?.sourceId ?? null;
      const destructive = d.destructive === true;
      const reason = str(d.reason);
      return make('restore.requested', `restore.requested:${row.targetId}`, {
        sourceId,
        restoreRequestId: row.targetId,
        path: `/approvals/${row.targetId}`,
        summary: `${row.actorLabel} requested a ${destructive ? 'destructive ' : ''}restore of ${named(sourceId)}${reason ? `: ${reason}` : ''}`,
        details: { mode: d.mode ?? null, destructive, reason, requestedBy: row.actorLabel, recoveryPointId: d.recoveryPointId ?? null },
      });
    }
    case 'restore-request.approve':
    case 'restore-request.reject':
    case 'restore-request.break-glass': {
      if (!row.targetId) return null;
      const request = look.requests.get(row.targetId);
      const sourceId = request?.sourceId ?? null;
      const common = { sourceId, restoreRequestId: row.targetId, path: `/approvals/${row.targetId}` };
      if (row.action === 'restore-request.approve') {
        const counting = typeof d.counting === 'number' ? d.counting : null;
        const required = typeof d.required === 'number' ? d.required : (request?.requiredApprovals ?? null);
        const tally = counting !== null && required !== null ? ` (${counting} of ${required} approvals${d.satisfied === true ? ': it runs now' : ''})` : '';
        return make('restore.approved', `restore.approved:${row.id}`, {
          ...common,
          summary: `${row.actorLabel} approved the restore of ${named(sourceId)}${tally}`,
          details: { approvedBy: row.actorLabel, counting, required, satisfied: d.satisfied === true, comment: d.comment ?? null },
        });
      }
      if (row.action === 'restore-request.reject') {
        const comment = str(d.comment);
        return make('restore.rejected', `restore.rejected:${row.id}`, {
          ...common,
          summary: `${row.actorLabel} rejected the restore of ${named(sourceId)}${comment ? `: ${comment}` : ''}`,
          details: { rejectedBy: row.actorLabel, comment },
        });
      }
      const reason = str(d.reason);
      return make('restore.break-glass', `restore.break-glass:${row.targetId}`, {
        ...common,
        runId: request?.runId ?? null,
        summary: `${row.actorLabel} broke glass: the restore of ${named(sourceId)} runs without its approvals${reason ? `: ${reason}` : ''}`,
        details: { by: row.actorLabel, reason, requester: d.requester ?? null, destructive: d.destructive ?? null },
      });
    }
    case 'audit.verify-failed':
    case 'audit.anchor': {
      if (row.action === 'audit.anchor' && row.result !== 'refused') return null;
      const firstBad = (d.firstBad ?? null) as { id?: unknown; problem?: unknown; detail?: unknown } | null;
      const anchor = (d.anchor ?? null) as { detail?: unknown } | null;
      const what = firstBad?.id
        ? `event #${String(firstBad.id)} ${String(firstBad.problem ?? 'is bad')}${str(firstBad.detail) ? ` (${firstBad.detail as string})` : ''}`
        : (str(anchor?.detail) ?? str(d.reason) ?? 'the newest anchor does not match');
      return make('audit.chain-broken', `audit.chain-broken:${row.id}`, {
        path: firstBad?.id ? `/audit?event=${encodeURIComponent(String(firstBad.id))}` : '/audit',
        summary: `The audit trail does not verify: ${what}`,
        details: { firstBad, anchor: d.anchor ?? null, action: row.action },
      });
    }
    default:
      return null;
  }
}
