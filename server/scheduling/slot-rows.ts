import crypto from 'node:crypto';
import { Prisma } from '@/server/shared/generated/prisma/client';
import type { Tx } from '@/server/shared/db';

/** One ScheduledSlot row as the scheduler writes it (the fire, the reconciler). */
export interface SlotRow {
  sourceId: string;
  scheduleId: string;
  slotAt: Date;
  policyId: string | null;
  kind: string;
  state: 'STARTED' | 'MISSED' | 'SKIPPED';
  reason?: string | null;
  runId?: string | null;
}

/**
 * Inserts slot rows in one statement (INSERT … SELECT FROM unnest, the columns as arrays): a minute boundary of a
 * thousand schedules is a thousand rows, and the ORM's createMany spends most of its time on per-row work. With
 * `skipDuplicates`, a row whose (source, schedule, time) is already recorded is left as it is (ON CONFLICT DO
 * NOTHING); without, such a row fails the statement with a unique violation, as the ORM's would. `createdAt` is this
 * clock's, never the database session's zone. Returns the rows inserted.
 */
export async function insertSlots(tx: Tx, rows: readonly SlotRow[], opts: { skipDuplicates?: boolean } = {}): Promise<number> {
  if (rows.length === 0) return 0;
  const createdAt = new Date().toISOString();
  const onConflict = opts.skipDuplicates ? Prisma.sql`ON CONFLICT DO NOTHING` : Prisma.empty;
  return tx.$executeRaw`
    INSERT INTO "ScheduledSlot" ("id", "sourceId", "policyId", "scheduleId", "kind", "slotAt", "state", "reason", "runId", "createdAt")
    SELECT id, src, pol, sch, k, t, st::"SlotState", rsn, run, ${createdAt}::timestamp
    FROM unnest(${rows.map(() => crypto.randomUUID())}::uuid[], ${rows.map((r) => r.sourceId)}::uuid[], ${rows.map((r) => r.policyId)}::uuid[],
                ${rows.map((r) => r.scheduleId)}::text[], ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.slotAt.toISOString())}::timestamp[],
                ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.reason ?? null)}::text[], ${rows.map((r) => r.runId ?? null)}::uuid[])
         AS u(id, src, pol, sch, k, t, st, rsn, run)
    ${onConflict}`;
}
