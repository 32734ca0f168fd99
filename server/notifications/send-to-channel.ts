import type { NotificationChannel } from '@/server/shared/generated/prisma/client';
import { openSecret } from '@/server/shared/secrets';
import { channelSecretContext } from './channel-input';
import type { NotificationPayload } from './events';
import { channelKind, type SendOutcome } from './kinds';
import { notifyEnv } from './notify-env';
import { parseAllowList, type Lookup } from './outbound/safe-address';

/**
 * Sends one payload through one channel: opens its sealed settings (only here, in the sending process), applies its
 * allow-list, and lets its kind send through the SSRF guard. Never throws: every failure is an outcome to record.
 */
export async function sendToChannel(
  channel: Pick<NotificationChannel, 'id' | 'kind' | 'config' | 'secrets' | 'allowCidrs'>,
  payload: NotificationPayload,
  opts: { timeoutMs?: number; lookup?: Lookup } = {},
): Promise<SendOutcome> {
  const kind = channelKind(channel.kind);
  if (!kind) return { ok: false, response: null, error: `channel kind "${channel.kind}" is not known to this version`, permanent: true };
  try {
    const secrets = channel.secrets ? openSecret<Record<string, unknown>>(channel.secrets, channelSecretContext(channel.id)) : {};
    return await kind.send((channel.config ?? {}) as Record<string, unknown>, secrets, payload, {
      allow: parseAllowList(channel.allowCidrs),
      timeoutMs: opts.timeoutMs ?? notifyEnv().LIFEBOAT_NOTIFY_TIMEOUT_MS,
      lookup: opts.lookup,
    });
  } catch (e) {
    // A secret that does not open (another master key) or a kind's bug: recorded, not retried.
    return { ok: false, response: null, error: `could not send: ${(e as Error).message}`.slice(0, 500), permanent: true };
  }
}
