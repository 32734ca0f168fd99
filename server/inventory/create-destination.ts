import crypto from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { DESTINATION_KINDS, getDestinationKind } from '@/server/storage/destination-kinds';
import { destinationSecretContext } from '@/server/storage/for-destination';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { env } from '@/server/shared/env';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { sealSecret } from '@/server/shared/secrets';
import { toDestinationDto } from './destination-dto';

export const CreateDestinationInput = z.object({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(DESTINATION_KINDS),
  config: z.record(z.string(), z.unknown()),
  /** Operator-declared: in another site or region than the production data. */
  offsite: z.boolean().default(false),
  /** Operator-declared: objects cannot be changed or deleted (e.g. S3 Object Lock in compliance mode). */
  immutable: z.boolean().default(false),
});
export type CreateDestinationInput = z.infer<typeof CreateDestinationInput>;

/**
 * Parses a destination's settings with its kind's schema, then the kind's placement rules (where it may point).
 * Refusals name the field under `config`, e.g. `config.path`.
 */
export function parseDestinationConfig(kindName: string, raw: Record<string, unknown>): Record<string, unknown> {
  const kind = getDestinationKind(kindName);
  const config = z.object({ config: kind.configSchema }).parse({ config: raw }).config;
  const issues = (kind.placementIssues?.(config, { dataDir: path.resolve(env().LIFEBOAT_DATA_DIR) }) ?? []).map((i) => ({
    path: ['config', ...i.path],
    message: i.message,
  }));
  if (issues.length > 0) {
    throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
  }
  return config as Record<string, unknown>;
}

/**
 * Registers a place to store backups: an admin's duty, since a destination decides where workers write (and
 * later delete). The config is validated by the kind's schema and placement rules; secret settings (S3
 * credentials) are sealed with the master key, bound to the new row's id, and never returned or audited.
 */
export async function createDestination(ctx: VerbContext, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'destination:write');
  const input = CreateDestinationInput.parse(raw);
  const parsed = parseDestinationConfig(input.kind, input.config);
  const secretKeys = getDestinationKind(input.kind).secretKeys;
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (v === undefined) continue;
    (secretKeys.includes(k) ? secrets : settings)[k] = v;
  }
  const id = crypto.randomUUID();
  try {
    const created = await withTransaction(ctx, async (tx) => {
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
