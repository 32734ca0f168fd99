import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { assertTierExists } from './assert-tier-exists';
import { SERVICE_DTO_INCLUDE, toServiceDto } from './dto';
import { ServiceIdParam, UpdateServiceInput } from './inputs';

/** Edits a service's name, tier (null: none), description or contact; the audit event keeps the previous values. */
export async function updateService(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = ServiceIdParam.safeParse(rawId);
  if (!id.success) throw notFound('service', String(rawId));
  const input = UpdateServiceInput.parse(raw);
  try {
    const service = await withTransaction(ctx, async (tx) => {
      const before = await tx.service.findUnique({ where: { id: id.data } });
      if (!before) throw notFound('service', id.data);
      await assertTierExists(tx, input.tierId);
      const updated = await tx.service.update({ where: { id: id.data }, data: input, include: SERVICE_DTO_INCLUDE });
      const changes = Object.fromEntries(
        (Object.keys(input) as Array<keyof typeof input>)
          .filter((k) => input[k] !== undefined && before[k] !== updated[k])
          .map((k) => [k, { from: before[k], to: updated[k] }]),
      );
      await recordAudit(tx, actor, { action: 'service.update', targetType: 'service', targetId: updated.id, details: { name: updated.name, changes } });
      return updated;
    });
    return toServiceDto(service);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a service named "${input.name}" already exists`);
    throw e;
  }
}
