import crypto from 'node:crypto';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError } from '@/server/shared/errors';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { sealSecret } from '@/server/shared/secrets';
import { assertMayAllowList, channelSecretContext, CreateChannelInput, kindOf, parseChannelConfig, splitConfig } from './channel-input';
import { toChannelDto, type ChannelDto } from './channel-dto';

/**
 * Creates a notification channel (an admin's duty: a channel makes Lifeboat send what happens to an address of its
 * choosing). The config is parsed by the kind; its secret settings (webhook URL, SMTP password) and the webhook's
 * signing secret, made here, are sealed bound to the new row and never returned, but for the signing secret once,
 * in this answer. Audited (`notification-channel.create`) with the clear settings and which secrets are held.
 */
export async function createChannel(ctx: VerbContext, raw: unknown): Promise<ChannelDto & { signingSecret?: string }> {
  const { actor } = ctx;
  authorize(actor, 'notification:write');
  const input = CreateChannelInput.parse(raw);
  if (input.allowCidrs.length > 0) assertMayAllowList(actor);
  const kind = kindOf(input.kind);
  const parsed = parseChannelConfig(kind, input.config, input.allowCidrs);
  const { settings, secrets } = splitConfig(kind, parsed);
  const generated = kind.generated?.() ?? {};
  const allSecrets = { ...secrets, ...generated };
  const id = crypto.randomUUID();
  try {
    const row = await withTransaction(ctx, async (tx) => {
      const created = await tx.notificationChannel.create({
        data: {
          id,
          kind: input.kind,
          name: input.name,
          config: settings as object,
          secrets: Object.keys(allSecrets).length > 0 ? sealSecret(allSecrets, channelSecretContext(id)) : null,
          events: input.events,
          allowCidrs: input.allowCidrs,
          enabled: input.enabled,
        },
      });
      await recordAudit(tx, actor, {
        action: 'notification-channel.create',
        targetType: 'notification_channel',
        targetId: id,
        details: { name: input.name, kind: input.kind, config: settings, secretKeys: Object.keys(allSecrets), events: input.events, allowCidrs: input.allowCidrs, enabled: input.enabled },
      });
      return created;
    });
    const dto = toChannelDto(row, Object.keys(allSecrets));
    return generated.signingSecret ? { ...dto, signingSecret: generated.signingSecret } : dto;
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError('CONFLICT', `a notification channel named "${input.name}" already exists`);
    throw e;
  }
}
