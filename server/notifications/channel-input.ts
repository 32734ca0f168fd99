import { z } from 'zod';
import type { Actor } from '@/server/auth/permissions';
import { DomainError } from '@/server/shared/errors';
import { NOTIFICATION_EVENTS, NotificationEventName } from './events';
import { channelKind, CHANNEL_KINDS, type ChannelKind } from './kinds';
import { canonicalCidr, parseAllowList, parseHost, refusalOf } from './outbound/safe-address';

/** The sealed secrets of a channel are bound to its row: a blob copied to another channel does not open. */
export const channelSecretContext = (id: string): string => `notification-channel:${id}`;

/** Subscribed events: known names, each once, kept in the list's order (so two saves of one set compare equal). */
export const EventList = z
  .array(NotificationEventName)
  .min(1, { message: 'choose at least one event' })
  .max(NOTIFICATION_EVENTS.length)
  .transform((events) => NOTIFICATION_EVENTS.filter((e) => events.includes(e)));

/** Allow-listed CIDRs, stored canonical (`10.1.2.0/24`); 20 entries is more than a receiver or two needs. */
export const CidrList = z
  .array(z.string().max(100))
  .max(20)
  .transform((list, ctx) => {
    const out: string[] = [];
    list.forEach((entry, i) => {
      try {
        const c = canonicalCidr(entry);
        if (!out.includes(c)) out.push(c);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: [i], message: (e as Error).message });
      }
    });
    return out;
  });

export const ChannelName = z.string().trim().min(1).max(100);

export const CreateChannelInput = z.strictObject({
  kind: z.enum(CHANNEL_KINDS),
  name: ChannelName,
  config: z.record(z.string(), z.unknown()),
  events: EventList,
  allowCidrs: CidrList.default([]),
  enabled: z.boolean().default(true),
});
export type CreateChannelInput = z.infer<typeof CreateChannelInput>;

export const UpdateChannelInput = z
  .strictObject({
    name: ChannelName.optional(),
    /** Only the settings to change, laid over the stored ones; `null` removes an optional one; secrets replaced when given. */
    config: z.record(z.string(), z.unknown()).optional(),
    events: EventList.optional(),
    allowCidrs: CidrList.optional(),
    enabled: z.boolean().optional(),
    /** Webhooks: make a new signing secret, shown once in the answer (the old one stops verifying at once). */
    rotateSigningSecret: z.literal(true).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change: give name, config, events, allowCidrs, enabled or rotateSigningSecret' });
export type UpdateChannelInput = z.infer<typeof UpdateChannelInput>;

export function kindOf(name: string): ChannelKind {
  const kind = channelKind(name);
  if (!kind) throw new DomainError('INVALID_STATE', `notification channel kind "${name}" is not known to this version`);
  return kind;
}

/**
 * Allow-listing private addresses turns the SSRF guard off for them: an admin's decision, refused to anyone else
 * even should `notification:write` ever be given to another role.
 */
export function assertMayAllowList(actor: Actor): void {
  if (actor.role !== 'ADMIN') throw new DomainError('FORBIDDEN', 'Only an admin may allow-list addresses (allowCidrs)');
}

/**
 * Parses a channel's whole config with its kind's schema (issues under `config.…`) and refuses at once an address
 * literal the guard would refuse at every send (`http://127.0.0.1/`, `http://2130706433/`, `[::ffff:127.0.0.1]` …),
 * unless the allow-list covers it. Names are resolved and checked at each send, never trusted from a save.
 */
export function parseChannelConfig(kind: ChannelKind, raw: Record<string, unknown>, allowCidrs: readonly string[]): Record<string, unknown> {
  const config = z.object({ config: kind.configSchema }).parse({ config: raw }).config;
  const allow = parseAllowList(allowCidrs);
  const issues: Array<{ path: string[]; message: string }> = [];
  for (const host of kind.hostsOf(config)) {
    const parsed = parseHost(host);
    if (parsed.kind !== 'ip') continue;
    const refusal = refusalOf(parsed.address, allow);
    if (refusal) issues.push({ path: ['config', 'url' in config ? 'url' : 'host'], message: `refused: ${refusal}` });
  }
  if (issues.length > 0) throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
  return config;
}

/** A parsed config split into what is stored in clear (with the derived settings) and what is sealed. */
export function splitConfig(kind: ChannelKind, config: Record<string, unknown>): { settings: Record<string, unknown>; secrets: Record<string, unknown> } {
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    (kind.secretKeys.includes(k) ? secrets : settings)[k] = v;
  }
  return { settings: { ...settings, ...(kind.derived?.(config) ?? {}) }, secrets };
}
