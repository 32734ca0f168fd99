import { db } from '@/server/shared/db';
import { AUDIT_GENESIS, auditHash } from './record-audit';

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The first event whose hash or link does not match, if any. */
  brokenAt?: string;
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
    for (const e of page) {
      const expected = auditHash(prev, e);
      if (e.prevHash !== prev || e.hash !== expected) return { ok: false, checked, brokenAt: e.id.toString() };
      prev = e.hash;
      checked++;
    }
    cursor = page[page.length - 1]!.id;
  }
  return { ok: true, checked };
}
