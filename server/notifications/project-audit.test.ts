import { describe, expect, it } from 'vitest';
import { projectAuditEvent, type AuditRow, type ProjectionLookups } from './project-audit';

const look: ProjectionLookups = {
  runs: new Map([
    ['run-b', { kind: 'BACKUP', status: 'FAILED', sourceId: 'src-1', error: 'pg_dump: connection refused', restoreRequestId: null }],
    ['run-r', { kind: 'RESTORE', status: 'SUCCEEDED', sourceId: 'src-1', error: null, restoreRequestId: 'req-1' }],
    ['run-v', { kind: 'VERIFY', status: 'FAILED', sourceId: 'src-1', error: 'checksum mismatch', restoreRequestId: null }],
  ]),
  requests: new Map([['req-1', { sourceId: 'src-1', mode: 'new', destructive: false, reason: 'drill', requiredApprovals: 2, runId: null }]]),
  points: new Map([['pt-1', { sourceId: 'src-1' }]]),
  sources: new Map([['src-1', 'orders']]),
  link: (p) => `https://lb.example${p}`,
};
let nextId = 1n;
const row = (action: string, targetType: string, targetId: string | null, details: Record<string, unknown> = {}, result = 'ok'): AuditRow => ({
  id: nextId++,
  at: new Date('2026-01-01T00:00:00Z'),
  actorLabel: 'ops@example.com',
  action,
  targetType,
  targetId,
  details,
  result,
});

describe('projecting the audit trail', () => {
  it('a failed backup: once per run, with the source, the error and a link to the run (also from the reaper, whose event has no kind)', () => {
    const p = projectAuditEvent(row('run.finish', 'run', 'run-b', { kind: 'BACKUP', status: 'FAILED', error: 'pg_dump: connection refused' }), look);
    expect(p).toMatchObject({ event: 'backup.failed', key: 'backup.failed:run-b', payload: { source: { id: 'src-1', name: 'orders' }, runId: 'run-b', link: 'https://lb.example/runs/run-b', summary: 'Backup of "orders" failed: pg_dump: connection refused' } });
    expect(projectAuditEvent(row('run.finish', 'run', 'run-b', { status: 'FAILED', reason: 'heartbeat lost' }), look)?.key).toBe('backup.failed:run-b');
    expect(projectAuditEvent(row('run.finish', 'run', 'run-b', { kind: 'BACKUP', status: 'CANCELLED' }), look)).toBeNull();
  });

  it('a verification failure is one event whichever of its two records comes first', () => {
    const a = projectAuditEvent(row('recovery-point.verify-failed', 'recovery-point', 'pt-1', { runId: 'run-v', error: 'checksum mismatch' }), look);
    const b = projectAuditEvent(row('run.finish', 'run', 'run-v', { kind: 'VERIFY', status: 'FAILED', error: 'checksum mismatch' }), look);
    expect(a?.key).toBe('verification.failed:run-v');
    expect(b?.key).toBe(a?.key);
    expect(a?.payload.source).toEqual({ id: 'src-1', name: 'orders' });
  });

  it('restore requests: requested, approved (with the tally), rejected, break-glass; a request’s own run is not told again', () => {
    expect(projectAuditEvent(row('restore-request.create', 'restore_request', 'req-1', { sourceId: 'src-1', mode: 'new', destructive: true, reason: 'drill' }), look)).toMatchObject({
      event: 'restore.requested',
      key: 'restore.requested:req-1',
      payload: { restoreRequestId: 'req-1', link: 'https://lb.example/approvals/req-1', summary: 'ops@example.com requested a destructive restore of "orders": drill' },
    });
    expect(projectAuditEvent(row('restore-request.approve', 'restore_request', 'req-1', { counting: 2, required: 2, satisfied: true }), look)?.payload.summary).toBe(
      'ops@example.com approved the restore of "orders" (2 of 2 approvals: it runs now)',
    );
    expect(projectAuditEvent(row('restore-request.reject', 'restore_request', 'req-1', { comment: 'not now' }), look)?.event).toBe('restore.rejected');
    expect(projectAuditEvent(row('restore-request.break-glass', 'restore_request', 'req-1', { reason: 'outage' }), look)?.key).toBe('restore.break-glass:req-1');
    expect(projectAuditEvent(row('restore.request', 'run', 'run-r', { restoreRequestId: 'req-1', sourceId: 'src-1' }), look)).toBeNull();
    expect(projectAuditEvent(row('restore.request', 'run', 'run-r', { sourceId: 'src-1', mode: 'new' }), look)?.key).toBe('restore.requested:run-run-r');
  });

  it('a finished restore, whatever its end, names its request', () => {
    expect(projectAuditEvent(row('run.finish', 'run', 'run-r', { kind: 'RESTORE', status: 'SUCCEEDED' }), look)).toMatchObject({
      event: 'restore.finished',
      payload: { restoreRequestId: 'req-1', summary: 'Restore of "orders" succeeded' },
    });
  });

  it('the audit chain: a failed verification, or an anchor refused because the chain does not verify', () => {
    const failed = projectAuditEvent(row('audit.verify-failed', 'audit_chain', '12', { firstBad: { id: '12', problem: 'changed', detail: 'hash mismatch' } }, 'failed'), look);
    expect(failed).toMatchObject({ event: 'audit.chain-broken', payload: { link: 'https://lb.example/audit?event=12', summary: 'The audit trail does not verify: event #12 changed (hash mismatch)' } });
    expect(projectAuditEvent(row('audit.anchor', 'audit_chain', null, { reason: 'the chain does not verify', anchor: { detail: 'anchor #40 is gone' } }, 'refused'), look)?.event).toBe('audit.chain-broken');
    expect(projectAuditEvent(row('audit.anchor', 'audit_chain', null, {}, 'ok'), look)).toBeNull();
  });

  it('ignores everything else', () => {
    expect(projectAuditEvent(row('source.create', 'source', 'src-1'), look)).toBeNull();
    expect(projectAuditEvent(row('run.finish', 'run', 'run-b', { kind: 'BACKUP', status: 'RUNNING' }), look)).toBeNull();
  });
});
