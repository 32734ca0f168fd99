import type { z } from 'zod';
import type { NotificationPayload } from '../events';
import type { AllowList, Lookup } from '../outbound/safe-address';

export const CHANNEL_KINDS = ['slack', 'webhook', 'email'] as const;
export type ChannelKindName = (typeof CHANNEL_KINDS)[number];

/** What one send came to, as the delivery row records it. */
export interface SendOutcome {
  ok: boolean;
  /** The receiver's answer (`HTTP 200 ok`, `250 2.0.0 queued`), for the delivery log. */
  response: string | null;
  error: string | null;
  /** Retrying cannot help (address refused, redirect, client error, SMTP authentication or 5xx): fail at once. */
  permanent: boolean;
}

export interface SendContext {
  allow: AllowList;
  timeoutMs: number;
  /** Tests may resolve names their own way; production uses the system resolver. */
  lookup?: Lookup;
}

/**
 * One kind of notification channel, declared once (kinds/index.ts): its config schema (secret keys included, as an
 * API caller gives them), which keys are sealed, the hosts to check when it is saved, and how it sends.
 */
export interface ChannelKind {
  kind: ChannelKindName;
  label: string;
  /** The whole config as given on create (and as the merge of stored + PATCH on update). */
  configSchema: z.ZodType<Record<string, unknown>>;
  /** Keys of the parsed config that are sealed (`NotificationChannel.secrets`) and never returned. */
  secretKeys: readonly string[];
  /** Settings shown in clear besides the given ones (e.g. the URL's host), derived from the parsed config. */
  derived?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** The keys `derived` sets: never accepted as input, recomputed on every save. */
  derivedKeys?: readonly string[];
  /** Secrets the channel makes itself on creation (the webhook's signing secret); shown once in the answer. */
  generated?: () => Record<string, string>;
  /** The keys `generated` sets: sealed, never accepted as input, kept across updates unless rotated. */
  generatedKeys?: readonly string[];
  /** The hosts the config names: address literals among them are checked against the allow-list when saved. */
  hostsOf: (config: Record<string, unknown>) => string[];
  send: (settings: Record<string, unknown>, secrets: Record<string, unknown>, payload: NotificationPayload, ctx: SendContext) => Promise<SendOutcome>;
}
