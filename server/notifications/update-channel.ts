import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { openSecret, sealSecret } from '@/server/shared/secrets';
import { assertMayAllowList, channelSecretContext, kindOf, parseChannelConfig, splitConfig, UpdateChannelInput } from './channel-input';
import { toChannelDto, type ChannelDto } from './channel-dto';

const ChannelId = z.string().uuid();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes a channel: name, events, enabled, allow-list (an admin's alone) and settings. `config` holds only the
 * settings to change, laid over the stored ones (secrets opened, replaced only when given; `null` removes an
 * optional one), and the result is parsed and checked as on creation. The kind never changes. Audited with what
 * changed; secrets never, only which were replaced.
 */
export async function updateChannel(ctx: VerbContext, rawId: unknown, raw: unknown): Promise<ChannelDto & { signingSecret?: string }> {
  const { actor } = ctx;
  authorize(actor, 'notification:write');
  const id = ChannelId.safeParse(rawId);
  if (!id.success) throw notFound('notification channel', String(rawId));
  const input = UpdateChannelInput.parse(raw);
  if (input.allowCidrs !== undefined) assertMayAllowList(actor);
  try {
    return await withTransaction(ctx, async (tx) => {
      const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "NotificationChannel" WHERE id = ${id.data}::uuid FOR UPDATE`;
      if (!locked) throw notFound('notification channel', id.data);
      const before = await tx.notificationChannel.findUniqueOrThrow({ where: { id: id.data } });
      const kind = kindOf(before.kind);
      if (input.rotateSigningSecret && !kind.generatedKeys?.includes('signingSecret')) {
        throw new DomainError('VALIDATION', `rotateSigningSecret: a ${kind.label} channel has no signing secret`, { issues: [{ path: ['rotateSigningSecret'], message: `a ${kind.label} channel has no signing secret` }] });
      }
      const storedSettings = (before.config ?? {}) as Record<string, unknown>;
      const storedSecrets = before.secrets ? openSecret<Record<string, unknown>>(before.secrets, channelSecretContext(before.id)) : {};
      const allowCidrs = input.allowCidrs ?? before.allowCidrs;

      // What the kind's schema reads: the stored settings and secrets as given, without what the channel derived or
      // made itself; then the changes over them.
      const internal = new Set([...(kind.derivedKeys ?? []), ...(kind.generatedKeys ?? [])]);
      const merged: Record<string, unknown> = Object.fromEntries(Object.entries({ ...storedSettings, ...storedSecrets }).filter(([k]) => !internal.has(k)));
      for (const [k, v] of Object.entries(input.config ?? {})) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      // Re-checked even when only the allow-list changed: removing an entry must not leave a refused address stored.
      const parsed = parseChannelConfig(kind, merged, allowCidrs);
      const { settings, secrets } = splitConfig(kind, parsed);
      const kept = Object.fromEntries((kind.generatedKeys ?? []).filter((k) => storedSecrets[k] !== undefined).map((k) => [k, storedSecrets[k]]));
      const rotated = input.rotateSigningSecret ? (kind.generated?.() ?? {}) : {};
      const nextSecrets = { ...secrets, ...kept, ...rotated };

      const secretsReplaced = [
        ...kind.secretKeys.filter((k) => input.config !== undefined && Object.hasOwn(input.config, k) && !same(storedSecrets[k], nextSecrets[k])),
        ...Object.keys(rotated),
      ];
      const configChanges: Record<string, { from: unknown; to: unknown }> = {};
      for (const k of new Set([...Object.keys(storedSettings), ...Object.keys(settings)])) {
        if (!same(storedSettings[k], settings[k])) configChanges[k] = { from: storedSettings[k] ?? null, to: settings[k] ?? null };
      }
      const updated = await tx.notificationChannel.update({
        where: { id: before.id },
        data: {
          name: input.name,
          events: input.events,
          allowCidrs: input.allowCidrs,
          enabled: input.enabled,
          config: settings as object,
          secrets: Object.keys(nextSecrets).length > 0 ? sealSecret(nextSecrets, channelSecretContext(before.id)) : null,
        },
      });
      const changes: Record<string, unknown> = Object.fromEntries(
        (['name', 'events', 'allowCidrs', 'enabled'] as const).filter((k) => !same(before[k], updated[k])).map((k) => [k, { from: before[k], to: updated[k] }]),
      );
      if (Object.keys(configChanges).length > 0) changes.config = configChanges;
      await recordAudit(tx, actor, {
        action: 'notification-channel.update',
        targetType: 'notification_channel',
        targetId: updated.id,
        details: { name: updated.name, kind: updated.kind, changes, secretsReplaced },
      });
      const dto = toChannelDto(updated, Object.keys(nextSecrets));
      return typeof rotated.signingSecret === 'string' ? { ...dto, signingSecret: rotated.signingSecret } : dto;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a notification channel named "${input.name}" already exists`);
    throw e;
  }
}
