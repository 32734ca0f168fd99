import { z } from 'zod';
import { hostOf, postJson } from '../outbound/post-json';
import { newSigningSecret, SIGNATURE_HEADER, signatureHeader } from '../signature';
import type { ChannelKind } from './kind';
import { ReceiverUrl } from './url-field';

/**
 * A generic webhook: the payload as JSON, signed with the channel's own secret (`X-Lifeboat-Signature`, see
 * signature.ts and docs/API.md), so the receiver can tell Lifeboat's requests from anyone else's.
 */
export const webhookKind: ChannelKind = {
  kind: 'webhook',
  label: 'Webhook',
  configSchema: z.strictObject({ url: ReceiverUrl }),
  secretKeys: ['url', 'signingSecret'],
  derived: (config) => ({ urlHost: hostOf(new URL(String(config.url))) }),
  derivedKeys: ['urlHost'],
  generated: () => ({ signingSecret: newSigningSecret() }),
  generatedKeys: ['signingSecret'],
  hostsOf: (config) => [new URL(String(config.url)).hostname],
  send: async (_settings, secrets, payload, ctx) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { [SIGNATURE_HEADER]: signatureHeader(String(secrets.signingSecret), body, Math.floor(Date.now() / 1000)) };
    return postJson(new URL(String(secrets.url)), body, { headers, allow: ctx.allow, timeoutMs: ctx.timeoutMs, lookup: ctx.lookup });
  },
};
