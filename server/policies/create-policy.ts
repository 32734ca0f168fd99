import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { parseRetentionPolicy, RetentionPolicy } from '@/server/retention/retention-policy';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { Prisma } from '@/server/shared/generated/prisma/client';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { POLICY_DTO_INCLUDE, toPolicyDto } from './policy-dto';
import { PolicySchedules } from './schedules';

/** At most this many scheduled runs at once per destination (null: no limit). */
export const MaxConcurrent = z
  .int({ error: 'maxConcurrentPerDestination must be a whole number' })
  .min(1, { error: 'maxConcurrentPerDestination must be at least 1 (null: no limit)' })
  // More parallel backups than any one destination (a disk, a bucket prefix) is worth throttling at.
  .max(1_000, { error: 'maxConcurrentPerDestination is at most 1000 (null: no limit)' });

/** One copy destination of a policy, with the retention of the copies kept there. */
export const PolicyCopyInput = z.strictObject({
  destinationId: z.string().uuid({ error: 'destinationId must be a destination id' }),
  /**
   * The copies' own retention (same rules as the policy's), e.g. a year on S3 while the primary keeps 14 days.
   * Omitted or null: the copies follow their point and go when it goes.
   */
  retention: RetentionPolicy.nullable().optional(),
});
export type PolicyCopyInput = z.infer<typeof PolicyCopyInput>;

export const CreatePolicyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    destinationId: z.string().uuid(),
    /** Extra destinations every backup is copied to, in the order restores try them (shorthand for `copies`). */
    copyDestinationIds: z.array(z.string().uuid()).max(10).optional(),
    /** The same, each with an optional retention of its own. */
    copies: z.array(PolicyCopyInput).max(10).optional(),
    // zstd's levels are 1–19 without --ultra; null stores the engine's bytes as they are.
    compressionLevel: z.number().int().min(1).max(19).nullable().default(3),
    encrypt: z.boolean().default(true),
    retention: z.unknown().optional(),
    /** When the policy's sources are backed up, verified and pruned (server/policies/schedules.ts); none: by hand only. */
    schedules: PolicySchedules.default([]),
    /** Paused: the schedules fire nothing and their slots are recorded SKIPPED. */
    paused: z.boolean().default(false),
    maxConcurrentPerDestination: MaxConcurrent.nullable().default(null),
  })
  .refine((p) => p.copies === undefined || p.copyDestinationIds === undefined, {
    message: 'give either copies or copyDestinationIds, not both',
    path: ['copies'],
  });
export type CreatePolicyInput = z.infer<typeof CreatePolicyInput>;

/**
 * Creates a backup policy: a primary destination, optional copy destinations, codec settings, retention and
 * schedules. No source uses a new policy yet, so its schedules meet the engines when a source is attached.
 */
export async function createPolicy(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const input = CreatePolicyInput.parse(raw);
  const copies = input.copies ?? (input.copyDestinationIds ?? []).map((destinationId) => ({ destinationId, retention: null }));
  const copyIds = copies.map((c) => c.destinationId);
  if (new Set(copyIds).size !== copyIds.length) throw new DomainError('VALIDATION', `${input.copies ? 'copies' : 'copyDestinationIds'} has duplicates`);
  if (copyIds.includes(input.destinationId)) throw new DomainError('VALIDATION', 'a copy destination cannot be the primary destination');
  const retention = input.retention === undefined || input.retention === null ? null : parseRetentionPolicy(input.retention);
  try {
    const policy = await withTransaction(ctx, async (tx) => {
      const wanted = [input.destinationId, ...copyIds];
      const found = await tx.destination.findMany({ where: { id: { in: wanted } }, select: { id: true } });
      const missing = wanted.filter((id) => !found.some((f) => f.id === id));
      if (missing.length > 0) throw new DomainError('VALIDATION', `destination ${missing.join(', ')} does not exist`);
      const created = await tx.policy.create({
        data: {
          name: input.name,
          destinationId: input.destinationId,
          compressionLevel: input.compressionLevel,
          encrypt: input.encrypt,
          retention: retention === null ? Prisma.DbNull : (retention as Prisma.InputJsonValue),
          schedules: input.schedules as Prisma.InputJsonValue,
          paused: input.paused,
          maxConcurrentPerDestination: input.maxConcurrentPerDestination,
          copies: {
            create: copies.map((c, position) => ({
              destinationId: c.destinationId,
              position,
              // Stored as parsed (time zone filled in), so the planner reads back exactly what was validated.
              retention: c.retention ? (c.retention as Prisma.InputJsonValue) : Prisma.DbNull,
            })),
          },
        },
        include: POLICY_DTO_INCLUDE,
      });
      await recordAudit(tx, actor, {
        action: 'policy.create',
        targetType: 'policy',
        targetId: created.id,
        details: {
          name: input.name,
          destinationId: input.destinationId,
          copyDestinationIds: copyIds,
          copies: copies.map((c) => ({ destinationId: c.destinationId, retention: c.retention ?? null })),
          compressionLevel: input.compressionLevel,
          encrypt: input.encrypt,
          retention,
          schedules: input.schedules,
          paused: input.paused,
          maxConcurrentPerDestination: input.maxConcurrentPerDestination,
        },
      });
      return created;
    });
    return toPolicyDto(policy);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a policy named "${input.name}" already exists`);
    throw e;
  }
}
