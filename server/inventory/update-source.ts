import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { SourceId } from './get-source';
import { assertPolicyFitsSource, assertServiceExists } from './source-references';
import { SOURCE_DTO_INCLUDE, toSourceDto } from './source-dto';
import { SourceName } from './source-input';
import { assertMayManageSourcesOf } from './create-source';

/**
 * What `PATCH /sources/{id}` may change. Kind and connection settings are not among them: a different database
 * is a different source (its points would restore something else).
 */
export const UpdateSourceInput = z
  .strictObject({
    name: SourceName.optional(),
    /** null detaches: the source keeps its points but is no longer backed up on a schedule. */
    policyId: z.string({ error: 'policyId must be a policy id' }).uuid({ error: 'policyId must be a policy id' }).nullable().optional(),
    /** null detaches: the source is shown as belonging to no service. */
    serviceId: z.string({ error: 'serviceId must be a service id' }).uuid({ error: 'serviceId must be a service id' }).nullable().optional(),
  })
  .refine((v) => v.name !== undefined || v.policyId !== undefined || v.serviceId !== undefined, {
    message: 'nothing to change: give name, policyId or serviceId',
  });
export type UpdateSourceInput = z.infer<typeof UpdateSourceInput>;

/** Renames a source, sets or detaches its policy, attaches it to a service or detaches it; audited with before/after. */
export async function updateSource(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = SourceId.safeParse(rawId);
  if (!id.success) throw notFound('source', String(rawId));
  const input = UpdateSourceInput.parse(raw);
  try {
    const source = await withTransaction(ctx, async (tx) => {
      const rows = await tx.$queryRaw<Array<{ id: string; name: string; kind: string; policyId: string | null; serviceId: string | null }>>`
        SELECT id, name, kind, "policyId", "serviceId" FROM "Source" WHERE id = ${id.data}::uuid FOR UPDATE`;
      const before = rows[0];
      if (!before) throw notFound('source', id.data);
      // A kind this build does not know has no engine (and no rule of its own) to apply.
      if (isEngineKind(before.kind)) assertMayManageSourcesOf(actor, getEngine(before.kind), 'edit');
      if (input.policyId) await assertPolicyFitsSource(tx, input.policyId, before.kind);
      if (input.serviceId) await assertServiceExists(tx, input.serviceId);
      const updated = await tx.source.update({ where: { id: id.data }, data: input, include: SOURCE_DTO_INCLUDE });
      const changes = Object.fromEntries(
        (['name', 'policyId', 'serviceId'] as const)
          .filter((k) => input[k] !== undefined && before[k] !== updated[k])
          .map((k) => [k, { from: before[k], to: updated[k] }]),
      );
      await recordAudit(tx, actor, { action: 'source.update', targetType: 'source', targetId: updated.id, details: { name: updated.name, changes } });
      return updated;
    });
    const { runs, ...rest } = source;
    return toSourceDto({ ...rest, lastRun: runs[0] ?? null });
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a source named "${input.name}" already exists`);
    throw e;
  }
}
