import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { parseRetentionPolicy } from '@/server/retention/retention-policy';
import { db } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { Prisma } from '@/server/shared/generated/prisma/client';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { toPolicyDto } from './policy-dto';

export const CreatePolicyInput = z.object({
  name: z.string().trim().min(1).max(100),
  destinationId: z.string().uuid(),
  /** Extra destinations every backup is copied to, in the order restores try them. */
  copyDestinationIds: z.array(z.string().uuid()).max(10).default([]),
  // zstd's levels are 1–19 without --ultra; null stores the engine's bytes as they are.
  compressionLevel: z.number().int().min(1).max(19).nullable().default(3),
  encrypt: z.boolean().default(true),
  retention: z.unknown().optional(),
});
export type CreatePolicyInput = z.infer<typeof CreatePolicyInput>;

/** Creates a backup policy: a primary destination, optional copy destinations, codec settings and retention. */
export async function createPolicy(actor: Actor | null, raw: unknown) {
  authorize(actor, 'inventory:write');
  const input = CreatePolicyInput.parse(raw);
  const copyIds = input.copyDestinationIds;
  if (new Set(copyIds).size !== copyIds.length) throw new DomainError('VALIDATION', 'copyDestinationIds has duplicates');
  if (copyIds.includes(input.destinationId)) throw new DomainError('VALIDATION', 'a copy destination cannot be the primary destination');
  const retention = input.retention === undefined || input.retention === null ? null : parseRetentionPolicy(input.retention);
  try {
    const policy = await db().$transaction(async (tx) => {
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
          copies: { create: copyIds.map((destinationId, position) => ({ destinationId, position })) },
        },
        include: { copies: true },
      });
      await recordAudit(tx, actor, {
        action: 'policy.create',
        targetType: 'policy',
        targetId: created.id,
        details: { name: input.name, destinationId: input.destinationId, copyDestinationIds: copyIds, compressionLevel: input.compressionLevel, encrypt: input.encrypt, retention },
      });
      return created;
    });
    return toPolicyDto(policy);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a policy named "${input.name}" already exists`);
    throw e;
  }
}
