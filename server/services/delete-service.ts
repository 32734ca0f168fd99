import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { ServiceIdParam } from './inputs';

/**
 * Deletes a service. Its sources stay (they are what gets backed up) and are detached (`serviceId` → null), which
 * the audit event lists, so "which sources were in it" survives the row. Backups, points and policies are untouched.
 */
export async function deleteService(ctx: VerbContext, rawId: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = ServiceIdParam.safeParse(rawId);
  if (!id.success) throw notFound('service', String(rawId));
  return withTransaction(ctx, async (tx) => {
    // Locked, so a source attached concurrently either committed first (and is detached and listed here) or waits.
    const rows = await tx.$queryRaw<Array<{ id: string; name: string; tierId: string | null }>>`
      SELECT id, name, "tierId" FROM "Service" WHERE id = ${id.data}::uuid FOR UPDATE`;
    const service = rows[0];
    if (!service) throw notFound('service', id.data);
    const sources = await tx.source.findMany({ where: { serviceId: service.id }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
    await tx.source.updateMany({ where: { serviceId: service.id }, data: { serviceId: null } });
    await tx.service.delete({ where: { id: service.id } });
    await recordAudit(tx, actor, {
      action: 'service.delete',
      targetType: 'service',
      targetId: service.id,
      details: { name: service.name, tierId: service.tierId, detachedSources: sources },
    });
    return { id: service.id, detachedSourceIds: sources.map((s) => s.id) };
  });
}
