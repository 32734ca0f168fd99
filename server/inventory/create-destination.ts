import crypto from 'node:crypto';
import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import {
  DESTINATION_SECRET_KEYS,
  LocalDestinationConfig,
  S3DestinationConfig,
  destinationSecretContext,
} from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { sealSecret } from '@/server/shared/secrets';
import { toDestinationDto } from './destination-dto';

export const CreateDestinationInput = z.object({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(['local', 's3']),
  config: z.record(z.string(), z.unknown()),
  /** Operator-declared: in another site or region than the production data. */
  offsite: z.boolean().default(false),
  /** Operator-declared: objects cannot be changed or deleted (e.g. S3 Object Lock in compliance mode). */
  immutable: z.boolean().default(false),
});
export type CreateDestinationInput = z.infer<typeof CreateDestinationInput>;

/**
 * Registers a place to store backups. The config is validated by the kind's schema; secret settings (S3
 * credentials) are sealed with the master key, bound to the new row's id, and never returned or audited.
 */
export async function createDestination(actor: Actor | null, raw: unknown) {
  authorize(actor, 'inventory:write');
  const input = CreateDestinationInput.parse(raw);
  const parsed = (input.kind === 'local' ? LocalDestinationConfig : S3DestinationConfig).parse(input.config) as Record<string, unknown>;
  const secretKeys = DESTINATION_SECRET_KEYS[input.kind] ?? [];
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (v === undefined) continue;
    (secretKeys.includes(k) ? secrets : settings)[k] = v;
  }
  const id = crypto.randomUUID();
  try {
    const created = await db().$transaction(async (tx) => {
      const row = await tx.destination.create({
        data: {
          id,
          name: input.name,
          kind: input.kind,
          config: settings as object,
          secrets: Object.keys(secrets).length > 0 ? sealSecret(secrets, destinationSecretContext(id)) : null,
          offsite: input.offsite,
          immutable: input.immutable,
        },
      });
      await recordAudit(tx, actor, {
        action: 'destination.create',
        targetType: 'destination',
        targetId: id,
        details: { name: input.name, kind: input.kind, config: settings, secretKeys: Object.keys(secrets), offsite: input.offsite, immutable: input.immutable },
      });
      return row;
    });
    return toDestinationDto(created, Object.keys(secrets));
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a destination named "${input.name}" already exists`);
    throw e;
  }
}
