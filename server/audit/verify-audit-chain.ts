import { db } from '@/server/shared/db';
import { AUDIT_GENESIS, auditHash, type ChainedFields } from './record-audit';

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first event whose hash or link does not match, if any. */
  brokenAt?: string;
}

export interface StoredEvent extends ChainedFields {
  id: bigint;
  prevHash: string;
  hash: string;
}

/** Checks one page of events against the hash they should follow; pure, so tampering is testable without a database. */
export function checkChain(events: StoredEvent[], prev: string): { ok: boolean; last: string; good: number; brokenAt?: string } {
  let good = 0;
  for (const e of events) {
    const { id, prevHash, hash, ...fields } = e;
    if (prevHash !== prev || hash !== auditHash(prev, fields)) return { ok: false, last: prev, good, brokenAt: id.toString() };
    prev = hash;
    good++;
  }
  return { ok: true, last: prev, good };
}

/** Recomputes the whole chain; any edited, inserted or deleted row shows up as the first broken link. */
export async function verifyAuditChain(): Promise<ChainReport> {
  let prev = AUDIT_GENESIS;
  let checked = 0;
  let cursor: bigint | undefined;
  // 1000 rows a page keeps memory flat on long histories.
  for (;;) {
    const page = await db().auditEvent.findMany({
      where: cursor === undefined ? {} : { id: { gt: cursor } },
      orderBy: { id: 'asc' },
      take: 1000,
    });
    if (page.length === 0) break;
    const result = checkChain(page, prev);
    checked += result.good;
    if (!result.ok) return { ok: false, checked, brokenAt: result.brokenAt };
    prev = result.last;
    cursor = page[page.length - 1]!.id;
  }
  return { ok: true, checked };
}
