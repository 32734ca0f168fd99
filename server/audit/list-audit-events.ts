import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
// The filters are the export's (the Audit page filters once, lists and exports the same set).
import { AuditEventFilter, auditEventWhere } from '@/server/audit-export/filter';

// AuditEvent.id is a PostgreSQL bigint: a larger `before` would reach the database and fail there (a 500).
const MAX_EVENT_ID = 2n ** 63n - 1n;

const Page = z.object({
  // 200 is plenty for one screen; larger exports page with `before`.
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // Digits only, so `1.5`, `0x10` or `1e3` are refused rather than coerced; then the id range.
  before: z
    .string()
    .regex(/^\d{1,19}$/, { message: 'before must be an audit event id (a whole number)' })
    .transform((s) => BigInt(s))
    .refine((n) => n >= 1n && n <= MAX_EVENT_ID, { message: `before must be from 1 to ${MAX_EVENT_ID}` })
    .optional(),
});

/** `limit` and `before` page; `actor`, `action`, `targetType`, `targetId`, `from`, `to` filter (AuditEventFilter). */
export const ListAuditEventsInput = z.intersection(Page, AuditEventFilter);
export type ListAuditEventsInput = z.infer<typeof ListAuditEventsInput>;

export async function listAuditEvents(ctx: VerbContext, raw: unknown) {
  authorize(ctx.actor, 'audit:read');
  const input = ListAuditEventsInput.parse(raw);
  const rows = await readerOf(ctx).auditEvent.findMany({
    where: {
      ...auditEventWhere(input),
      id: input.before === undefined ? undefined : { lt: input.before },
    },
    orderBy: { id: 'desc' },
    take: input.limit,
  });
  return rows.map((r) => ({ ...r, id: r.id.toString() }));
}
