import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { assertTierExists } from './assert-tier-exists';
import { SERVICE_DTO_INCLUDE, toServiceDto } from './dto';
import { CreateServiceInput } from './inputs';

/** Creates a service (API gateway, workflow engine …): a named group of sources held to one tier's objectives. */
export async function createService(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const input = CreateServiceInput.parse(raw);
  try {
    const service = await withTransaction(ctx, async (tx) => {
      await assertTierExists(tx, input.tierId);
      const created = await tx.service.create({
        data: { name: input.name, tierId: input.tierId ?? null, description: input.description ?? null, contact: input.contact ?? null },
        include: SERVICE_DTO_INCLUDE,
      });
      await recordAudit(tx, actor, {
        action: 'service.create',
        targetType: 'service',
        targetId: created.id,
        details: { name: created.name, tierId: created.tierId, description: created.description, contact: created.contact },
      });
      return created;
    });
    return toServiceDto(service);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a service named "${input.name}" already exists`);
    throw e;
  }
}
