import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { withTransaction } from '@/server/shared/context';
import { logger } from '@/server/shared/logger';
import { anchorAuditHead, type AnchorResult } from './anchor-audit-head';
import { recordAudit } from './record-audit';
import { verifyAuditChain, type ChainReport } from './verify-audit-chain';

/**
 * Called with every failed verification the daily check finds, after it was logged and audited
 * (`audit.verify-failed`). The hook for notifications (a later issue): register a listener here, or subscribe to
 * the `audit.verify-failed` action. A listener that throws is logged and does not stop the others.
 */
export type AuditFailureListener = (report: ChainReport) => Promise<void> | void;
const listeners: AuditFailureListener[] = [];

export function onAuditVerifyFailure(listener: AuditFailureListener): () => void {
  listeners.push(listener);
  return () => void listeners.splice(listeners.indexOf(listener), 1);
}

/** Logs the failure loudly, records it in the trail (so it is seen on the Audit page too) and tells the listeners. */
export async function reportAuditFailure(report: ChainReport, extra: Record<string, unknown> = {}): Promise<void> {
  logger.error(
    { firstBad: report.firstBad, anchor: { destination: report.anchor.destination, sequence: report.anchor.sequence, ok: report.anchor.ok }, checked: report.checked },
    'AUDIT TRAIL DOES NOT VERIFY: %s',
    report.firstBad ? `event #${report.firstBad.id} ${report.firstBad.problem}: ${report.firstBad.detail}` : report.anchor.detail,
  );
  await withTransaction({ actor: SYSTEM_ACTOR }, (tx) =>
    recordAudit(tx, SYSTEM_ACTOR, {
      action: 'audit.verify-failed',
      targetType: 'audit_chain',
      targetId: report.firstBad?.id ?? report.anchor.sequence,
      result: 'failed',
      details: { ...extra, checked: report.checked, firstBad: report.firstBad, anchor: { destination: report.anchor.destination, sequence: report.anchor.sequence, ok: report.anchor.ok, detail: report.anchor.detail } },
    }),
  );
  for (const listener of listeners) {
    await Promise.resolve()
      .then(() => listener(report))
      .catch((e: unknown) => logger.error({ err: e }, 'an audit failure listener failed'));
  }
}

export interface AuditCheckOutcome {
  /** Already done in this period (by this or another worker). */
  skipped: boolean;
  report?: ChainReport;
  anchored?: AnchorResult;
}

/**
 * The recurring audit check (workers/jobs.ts): verify the chain against the newest anchor, report a failure, and
 * otherwise anchor the head on every destination. Every worker runs it once per period; the first to get there does
 * the work and leaves its trace (an `AuditAnchor` row, or an `audit.verify-failed` event) that the others see and skip.
 */
export async function runAuditCheck(now: Date, everySeconds: number): Promise<AuditCheckOutcome> {
  const bucket = Math.floor(now.getTime() / (everySeconds * 1000));
  const periodStart = new Date(bucket * everySeconds * 1000);
  // The period is named in the failure event: the check is once per period of `now`, whatever the clock said then.
  const period = `${everySeconds}s:${bucket}`;
  const anchored = await db().auditAnchor.findFirst({ where: { at: { gte: periodStart } }, select: { id: true } });
  const failed = anchored
    ? null
    : await db().auditEvent.findFirst({ where: { action: 'audit.verify-failed', details: { path: ['period'], equals: period } }, select: { id: true } });
  if (anchored || failed) return { skipped: true };
  const report = await verifyAuditChain();
  if (!report.ok) {
    await reportAuditFailure(report, { period });
    return { skipped: false, report };
  }
  if (!report.head) return { skipped: false, report };
  const result = await anchorAuditHead({ actor: SYSTEM_ACTOR }, { report, now });
  const failedWrites = result.destinations.filter((d) => !d.ok);
  if (result.destinations.length === 0) logger.warn('audit head not anchored: there is no destination to write it to');
  for (const w of failedWrites) logger.error({ destination: w.destination, error: w.error }, 'could not anchor the audit head on a destination');
  return { skipped: false, report, anchored: result };
}
