import { Readable } from 'node:stream';
import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { driverForDestination } from '@/server/storage/for-destination';
import type { StorageDriver } from '@/server/storage/driver';
import { auditHeadKey } from '@/server/storage/layout';
import { destinationsForAnchors, headFileText, type DestinationRow } from './anchors';
import { auditChainKey } from './chain-hash';
import { recordAudit } from './record-audit';
import { verifyAuditChain, type ChainReport } from './verify-audit-chain';

export interface AnchorWrite {
  destinationId: string;
  destination: string;
  ok: boolean;
  error: string | null;
}

export interface AnchorResult {
  sequence: string;
  hash: string;
  at: string;
  key: string;
  destinations: AnchorWrite[];
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

/**
 * Writes the chain head to every destination (`audit/heads/<date>.json`, replacing that day's earlier anchor) and
 * records each write in `AuditAnchor` and the whole as one `audit.anchor` event. Only a chain that verifies, against
 * the newest anchor too, is anchored: otherwise a truncated tail would be written as the new truth (a ratchet),
 * and the refusal is itself audited (`audit.anchor`, result `refused`) and answered 409.
 */
export async function anchorAuditHead(
  ctx: VerbContext,
  opts: { report?: ChainReport; now?: Date; driverFor?: (d: DestinationRow) => StorageDriver } = {},
): Promise<AnchorResult> {
  authorize(ctx.actor, 'destination:write');
  const actor: Actor = ctx.actor;
  const report = opts.report ?? (await verifyAuditChain());
  if (!report.ok) {
    const why = report.firstBad ? `event #${report.firstBad.id} is ${report.firstBad.problem}` : report.anchor.detail;
    await withTransaction(ctx, (tx) =>
      recordAudit(tx, actor, {
        action: 'audit.anchor',
        targetType: 'audit_chain',
        result: 'refused',
        details: { reason: 'the chain does not verify', firstBad: report.firstBad, anchor: { sequence: report.anchor.sequence, ok: report.anchor.ok, detail: report.anchor.detail } },
      }),
    );
    throw new DomainError('INVALID_STATE', `the audit chain does not verify (${why}); nothing was anchored`, { firstBad: report.firstBad, anchor: report.anchor });
  }
  if (!report.head) throw new DomainError('INVALID_STATE', 'the audit trail is empty: there is no head to anchor');
  const now = opts.now ?? new Date();
  const head = { sequence: BigInt(report.head.sequence), hash: report.head.hash, at: now };
  const key = auditHeadKey(now);
  const text = headFileText(auditChainKey(), head);
  const driverFor = opts.driverFor ?? driverForDestination;
  const writes: AnchorWrite[] = [];
  for (const destination of await destinationsForAnchors()) {
    try {
      await driverFor(destination).put(key, Readable.from([Buffer.from(text)]), { overwrite: true });
      writes.push({ destinationId: destination.id, destination: destination.name, ok: true, error: null });
    } catch (e) {
      writes.push({ destinationId: destination.id, destination: destination.name, ok: false, error: errorText(e) });
    }
  }
  const failed = writes.filter((w) => !w.ok);
  await withTransaction(ctx, async (tx) => {
    if (writes.length > 0) {
      await tx.auditAnchor.createMany({
        data: writes.map((w) => ({ destinationId: w.destinationId, sequence: head.sequence, hash: head.hash, key, ok: w.ok, error: w.error, at: now })),
      });
    }
    await recordAudit(tx, actor, {
      action: 'audit.anchor',
      targetType: 'audit_chain',
      targetId: report.head!.sequence,
      result: failed.length > 0 || writes.length === 0 ? 'failed' : 'ok',
      details: { sequence: report.head!.sequence, hash: head.hash, key, destinations: writes.map(({ destination, ok, error }) => ({ destination, ok, ...(error ? { error } : {}) })) },
    });
  });
  return { sequence: report.head.sequence, hash: head.hash, at: now.toISOString(), key, destinations: writes };
}

/** `GET /api/v1/audit/anchors`: the most recent anchor writes (newest first), what the Audit page shows. */
export async function listAuditAnchors(ctx: VerbContext, limit = 50) {
  authorize(ctx.actor, 'audit:read');
  const rows = await db().auditAnchor.findMany({ orderBy: { at: 'desc' }, take: limit, include: { destination: { select: { name: true } } } });
  return rows.map(({ destination, sequence, ...r }) => ({ ...r, sequence: sequence.toString(), destination: destination.name }));
}
