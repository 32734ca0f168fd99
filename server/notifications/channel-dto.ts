import type { NotificationChannel } from '@/server/shared/generated/prisma/client';
import { channelKind } from './kinds';

/** How a sealed setting shows in `config`: that it is there, never what it is. */
export const SEALED = '(sealed)';

/**
 * A channel as the API shows it: the clear settings, each sealed one the kind declares as `"(sealed)"` (never its
 * value), and `secretKeys` naming them. `signingSecret` is the one exception, once, in the answer that made it.
 */
export function toChannelDto(c: NotificationChannel, heldSecretKeys?: readonly string[]) {
  const kind = channelKind(c.kind);
  const held = heldSecretKeys ?? (c.secrets !== null ? [...(kind?.secretKeys ?? [])] : []);
  const config: Record<string, unknown> = { ...((c.config ?? {}) as Record<string, unknown>) };
  for (const k of held) if (k !== 'signingSecret') config[k] = SEALED;
  return {
    id: c.id,
    kind: c.kind,
    kindLabel: kind?.label ?? c.kind,
    name: c.name,
    config,
    secretKeys: held,
    hasSigningSecret: held.includes('signingSecret'),
    events: c.events,
    allowCidrs: c.allowCidrs,
    enabled: c.enabled,
    lastDeliveryAt: c.lastDeliveryAt?.toISOString() ?? null,
    lastError: c.lastError,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
export type ChannelDto = ReturnType<typeof toChannelDto>;
