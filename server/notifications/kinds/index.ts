import { emailKind } from './email';
import type { ChannelKind, ChannelKindName } from './kind';
import { slackKind } from './slack';
import { webhookKind } from './webhook';

export { CHANNEL_KINDS, type ChannelKind, type ChannelKindName, type SendOutcome, type SendContext } from './kind';

/** Every channel kind, declared once; nothing else names a kind. */
const KINDS: Record<ChannelKindName, ChannelKind> = { slack: slackKind, webhook: webhookKind, email: emailKind };

export function channelKind(kind: string): ChannelKind | undefined {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind as ChannelKindName] : undefined;
}
