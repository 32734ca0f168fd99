import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';

export const ListAuditEventsInput = z.object({
  targetType: z.string().optional(),
  targetId: z.string().optional(),
  // 200 is plenty for one screen; larger exports page with `before`.
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.bigint().optional(),
});
export type ListAuditEventsInput = z.infer<typeof ListAuditEventsInput>;

export async function listAuditEvents(ctx: VerbContext, raw: unknown) {
  authorize(ctx.actor, 'audit:read');
  const input = ListAuditEventsInput.parse(raw);
  const rows = await readerOf(ctx).auditEvent.findMany({
    where: {
      targetType: input.targetType,
      targetId: input.targetId,
      id: input.before === undefined ? undefined : { lt: input.before },
    },
    orderBy: { id: 'desc' },
    take: input.limit,
  });
  return rows.map((r) => ({ ...r, id: r.id.toString() }));
}
