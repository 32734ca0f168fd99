import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { getDestinationKind, isDestinationKind } from '@/server/storage/destination-kinds';
import { destinationSecretContext } from '@/server/storage/for-destination';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { openSecret, sealSecret } from '@/server/shared/secrets';
import { parseDestinationConfig } from './create-destination';
import { toDestinationDto } from './destination-dto';

const DestinationId = z.string().uuid();

/**
 * What `PATCH /destinations/{id}` may change. The kind may not: a different kind is a different place. `config`
 * holds only the settings to change, laid over the current ones (`null` removes an optional one); secret settings
 * are replaced only when given, and the whole result is parsed and placed as on creation.
 */
export const UpdateDestinationInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    offsite: z.boolean().optional(),
    immutable: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((v) => v.name !== undefined || v.offsite !== undefined || v.immutable !== undefined || v.config !== undefined, {
    message: 'nothing to change: give name, offsite, immutable or config',
  });
export type UpdateDestinationInput = z.infer<typeof UpdateDestinationInput>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Renames a destination, sets its offsite/immutable flags or changes its settings; an admin's duty, like creating
 * one. Settings that say where the objects are (the kind's `locationKeys`) stay put while anything is stored there
 * or being written: the catalog would lose its objects and nothing would ever prune the old ones. Audited with what
 * changed; secrets are never returned or audited, only which were replaced.
 */
export async function updateDestination(ctx: VerbContext, rawId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'destination:write');
  const id = DestinationId.safeParse(rawId);
  if (!id.success) throw notFound('destination', String(rawId));
  const input = UpdateDestinationInput.parse(raw);
  try {
    const { row, secretKeys } = await withTransaction(ctx, async (tx) => {
      // Locked: a point's insert (it references the row) waits, so the count below stays true until commit.
      await tx.$queryRaw`SELECT id FROM "Destination" WHERE id = ${id.data}::uuid FOR UPDATE`;
      const before = await tx.destination.findUnique({ where: { id: id.data } });
      if (!before) throw notFound('destination', id.data);
      if (!isDestinationKind(before.kind)) throw new DomainError('INVALID_STATE', `destination "${before.name}" has a kind this version does not know (${before.kind})`);
      const kind = getDestinationKind(before.kind);
      const storedSettings = (before.config ?? {}) as Record<string, unknown>;
      const storedSecrets = before.secrets ? openSecret<Record<string, unknown>>(before.secrets, destinationSecretContext(before.id)) : {};

      let settings = storedSettings;
      let sealed = before.secrets;
      let heldSecretKeys = Object.keys(storedSecrets);
      const configChanges: Record<string, { from: unknown; to: unknown }> = {};
      const secretsReplaced: string[] = [];
      if (input.config) {
        const merged: Record<string, unknown> = { ...storedSettings, ...storedSecrets };
        for (const [k, v] of Object.entries(input.config)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        const parsed = parseDestinationConfig(before.kind, merged);
        const nextSettings: Record<string, unknown> = {};
        const nextSecrets: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(parsed)) {
          if (v === undefined) continue;
          (kind.secretKeys.includes(k) ? nextSecrets : nextSettings)[k] = v;
        }
        for (const k of new Set([...Object.keys(storedSettings), ...Object.keys(nextSettings)])) {
          if (!same(storedSettings[k], nextSettings[k])) configChanges[k] = { from: storedSettings[k] ?? null, to: nextSettings[k] ?? null };
        }
        const moved = kind.locationKeys.filter((k) => k in configChanges);
        if (moved.length > 0) await assertNothingStored(tx, before, moved);
        secretsReplaced.push(...kind.secretKeys.filter((k) => Object.hasOwn(input.config!, k)));
        if (secretsReplaced.length > 0) {
          sealed = Object.keys(nextSecrets).length > 0 ? sealSecret(nextSecrets, destinationSecretContext(before.id)) : null;
          heldSecretKeys = Object.keys(nextSecrets);
        }
        settings = nextSettings;
      }

      const updated = await tx.destination.update({
        where: { id: before.id },
        data: { name: input.name, offsite: input.offsite, immutable: input.immutable, config: settings as object, secrets: sealed },
      });
      const changes: Record<string, unknown> = Object.fromEntries(
        (['name', 'offsite', 'immutable'] as const).filter((k) => before[k] !== updated[k]).map((k) => [k, { from: before[k], to: updated[k] }]),
      );
      if (Object.keys(configChanges).length > 0) changes.config = configChanges;
      await recordAudit(tx, actor, {
        action: 'destination.update',
        targetType: 'destination',
        targetId: updated.id,
        details: { name: updated.name, kind: updated.kind, changes, secretsReplaced },
      });
      return { row: updated, secretKeys: updated.secrets ? heldSecretKeys : [] };
    });
    return toDestinationDto(row, secretKeys);
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a destination named "${input.name}" already exists`);
    throw e;
  }
}

/** Refuses (409) to move a destination that holds points or copies, or that a run is writing to now. */
async function assertNothingStored(tx: Tx, d: { id: string; name: string }, moved: string[]) {
  const [points, copies, runs] = await Promise.all([
    tx.recoveryPoint.count({ where: { destinationId: d.id, primaryDeletedAt: null } }),
    tx.recoveryPointCopy.count({ where: { destinationId: d.id, status: { not: 'COPY_FAILED' } } }),
    tx.run.count({ where: { destinationId: d.id, status: { in: ['QUEUED', 'RUNNING'] } } }),
  ]);
  if (points + copies + runs === 0) return;
  const held = [
    points > 0 ? plural(points, 'recovery point', 'recovery points') : null,
    copies > 0 ? plural(copies, 'copy', 'copies') : null,
    runs > 0 ? plural(runs, 'queued or running run', 'queued or running runs') : null,
  ].filter(Boolean);
  throw new DomainError(
    'CONFLICT',
    `destination "${d.name}" holds ${held.join(' and ')}: its ${moved.join(' and ')} cannot change, or the stored objects would be orphaned. Create a new destination and point the policies at it instead`,
  );
}
