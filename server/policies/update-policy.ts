import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { PolicyId } from '@/server/retention/ids';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { Prisma } from '@/server/shared/generated/prisma/client';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { MaxConcurrent, PolicyCopyInput } from './create-policy';
import { POLICY_DTO_INCLUDE, toPolicyDto } from './policy-dto';
import { assertPolicyFitsEngine, PolicySchedules, storedSchedules } from './schedules';

/**
 * What `PATCH /policies/{id}` may change; every field is optional and a field left out keeps its value. `copies`
 * (or `copyDestinationIds`) replaces the copy destinations as a whole, in restore order; a copy destination listed
 * without `retention` keeps the retention it had (none for a new one). Retention itself has its own verbs.
 */
export const UpdatePolicyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    destinationId: z.string().uuid({ error: 'destinationId must be a destination id' }).optional(),
    copyDestinationIds: z.array(z.string().uuid()).max(10).optional(),
    copies: z.array(PolicyCopyInput).max(10).optional(),
    // zstd's levels are 1–19 without --ultra; null stores the engine's bytes as they are.
    compressionLevel: z.number().int().min(1).max(19).nullable().optional(),
    encrypt: z.boolean().optional(),
    schedules: PolicySchedules.optional(),
    paused: z.boolean().optional(),
    maxConcurrentPerDestination: MaxConcurrent.nullable().optional(),
  })
  .refine((p) => p.copies === undefined || p.copyDestinationIds === undefined, {
    message: 'give either copies or copyDestinationIds, not both',
    path: ['copies'],
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'nothing to change: give at least one field' });
export type UpdatePolicyInput = z.infer<typeof UpdatePolicyInput>;

type Field = Exclude<keyof UpdatePolicyInput, 'copyDestinationIds'>;

/**
 * Edits a policy. The policy row is locked (`FOR UPDATE`) first, so a source attached at the same time (its
 * foreign key takes a share lock on the row) is either seen here, and its engine checked against the new
 * schedules, or waits and checks them itself. New schedules must fit the engine of every source using the policy.
 * Changes apply to the next run; points already stored keep where and how they were written.
 */
export async function updatePolicy(ctx: VerbContext, rawPolicyId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = PolicyId.safeParse(rawPolicyId);
  if (!id.success) throw notFound('policy', String(rawPolicyId));
  const input = UpdatePolicyInput.parse(raw);
  const newCopies =
    input.copies ?? (input.copyDestinationIds === undefined ? undefined : input.copyDestinationIds.map((destinationId) => ({ destinationId })));
  const copiesField = input.copies ? 'copies' : 'copyDestinationIds';

  try {
    const policy = await withTransaction(ctx, async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Policy" WHERE id = ${id.data}::uuid FOR UPDATE`;
      if (locked.length === 0) throw notFound('policy', id.data);
      const before = await tx.policy.findUniqueOrThrow({ where: { id: id.data }, include: POLICY_DTO_INCLUDE });
      const beforeCopies = [...before.copies].sort((a, b) => a.position - b.position);

      if (input.schedules !== undefined) {
        const kinds = await tx.source.findMany({ where: { policyId: before.id }, select: { kind: true }, distinct: ['kind'] });
        for (const { kind } of kinds) assertPolicyFitsEngine(input.schedules, kind);
      }

      const primary = input.destinationId ?? before.destinationId;
      const copyIds = newCopies ? newCopies.map((c) => c.destinationId) : beforeCopies.map((c) => c.destinationId);
      if (new Set(copyIds).size !== copyIds.length) throw fieldError(copiesField, 'has duplicates');
      if (copyIds.includes(primary)) {
        throw fieldError(input.destinationId !== undefined ? 'destinationId' : copiesField, 'a copy destination cannot be the primary destination');
      }
      const wanted = [...(input.destinationId ? [input.destinationId] : []), ...(newCopies ? copyIds : [])];
      if (wanted.length > 0) {
        const found = await tx.destination.findMany({ where: { id: { in: wanted } }, select: { id: true } });
        const missing = wanted.filter((w) => !found.some((f) => f.id === w));
        if (missing.length > 0) throw new DomainError('VALIDATION', `destination ${missing.join(', ')} does not exist`);
      }

      const changes: Partial<Record<Field, { from: unknown; to: unknown }>> = {};
      const note = (field: Field, from: unknown, to: unknown) => {
        if (to !== undefined && JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
      };
      note('name', before.name, input.name);
      note('destinationId', before.destinationId, input.destinationId);
      note('compressionLevel', before.compressionLevel, input.compressionLevel);
      note('encrypt', before.encrypt, input.encrypt);
      note('schedules', storedSchedules(before.schedules), input.schedules);
      note('paused', before.paused, input.paused);
      note('maxConcurrentPerDestination', before.maxConcurrentPerDestination, input.maxConcurrentPerDestination);

      if (newCopies) {
        const kept = new Map(beforeCopies.map((c) => [c.destinationId, c.retention ?? null]));
        const next = newCopies.map((c, position) => ({
          destinationId: c.destinationId,
          position,
          // Left out: the retention this destination's copies had (none for a new copy destination).
          retention: 'retention' in c && c.retention !== undefined ? (c.retention ?? null) : (kept.get(c.destinationId) ?? null),
        }));
        note(
          'copies',
          beforeCopies.map((c) => ({ destinationId: c.destinationId, retention: c.retention ?? null })),
          next.map((c) => ({ destinationId: c.destinationId, retention: c.retention })),
        );
        if (changes.copies) {
          await tx.policyCopy.deleteMany({ where: { policyId: before.id } });
          await tx.policyCopy.createMany({
            data: next.map((c) => ({
              policyId: before.id,
              destinationId: c.destinationId,
              position: c.position,
              retention: c.retention === null ? Prisma.DbNull : (c.retention as Prisma.InputJsonValue),
            })),
          });
        }
      }

      await tx.policy.update({
        where: { id: before.id },
        data: {
          name: input.name,
          destinationId: input.destinationId,
          compressionLevel: input.compressionLevel,
          encrypt: input.encrypt,
          schedules: input.schedules === undefined ? undefined : (input.schedules as Prisma.InputJsonValue),
          paused: input.paused,
          maxConcurrentPerDestination: input.maxConcurrentPerDestination,
        },
      });
      if (Object.keys(changes).length > 0) {
        await recordAudit(tx, actor, {
          action: 'policy.update',
          targetType: 'policy',
          targetId: before.id,
          details: { policyName: input.name ?? before.name, changes },
        });
      }
      return tx.policy.findUniqueOrThrow({ where: { id: before.id }, include: POLICY_DTO_INCLUDE });
    });
    return toPolicyDto(policy);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a policy named "${input.name}" already exists`);
    throw e;
  }
}

/** A 422 naming one field, shaped like a zod issue so forms show it under the field. */
function fieldError(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', `${field}: ${message}`, { issues: [{ path: [field], message }] });
}
