import { z } from 'zod';
import { slackTextOf } from '../format';
import { hostOf, postJson } from '../outbound/post-json';
import type { ChannelKind } from './kind';
import { ReceiverUrl } from './url-field';

/** Slack (or anything speaking its incoming-webhook format, e.g. Mattermost): `{ text }` POSTed to the sealed URL. */
export const slackKind: ChannelKind = {
  kind: 'slack',
  label: 'Slack',
  configSchema: z.strictObject({ url: ReceiverUrl }),
  // The URL is the credential: whoever has it can post to the channel.
  secretKeys: ['url'],
  derived: (config) => ({ urlHost: hostOf(new URL(String(config.url))) }),
  derivedKeys: ['urlHost'],
  hostsOf: (config) => [new URL(String(config.url)).hostname],
  send: async (_settings, secrets, payload, ctx) =>
    postJson(new URL(String(secrets.url)), JSON.stringify({ text: slackTextOf(payload) }), { allow: ctx.allow, timeoutMs: ctx.timeoutMs, lookup: ctx.lookup }),
};
