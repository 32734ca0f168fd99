import { z } from '../zod';
import { IsoDateTime, Json, JsonObject, Uuid } from './common';

/** server/notifications/channel-dto.ts, toChannelDto: sealed settings show as "(sealed)". */
export const Channel = z.object({
  id: Uuid,
  kind: z.string(),
  kindLabel: z.string(),
  name: z.string(),
  config: JsonObject,
  secretKeys: z.array(z.string()),
  hasSigningSecret: z.boolean(),
  events: z.array(z.string()),
  allowCidrs: z.array(z.string()),
  enabled: z.boolean(),
  lastDeliveryAt: IsoDateTime.nullable(),
  lastError: z.string().nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
}).openapi('Channel');

export const ChannelListItem = z.object({
  ...Channel.shape,
  lastDelivery: z.object({ status: z.string(), event: z.string(), at: IsoDateTime }).nullable(),
}).openapi('ChannelListItem');

/** Create and update: a webhook's new signing secret, shown this once. */
export const ChannelWithSecret = z.object({ ...Channel.shape, signingSecret: z.string().optional() }).openapi('ChannelWithSecret');

export const ChannelDeleted = z.object({ id: Uuid, name: z.string(), deliveriesDeleted: z.number().int() }).openapi('ChannelDeleted');

/** server/notifications/test-channel.ts, TestOutcome. */
export const ChannelTestOutcome = z.object({
  ok: z.boolean(),
  status: z.enum(['SENT', 'FAILED']),
  error: z.string().nullable(),
  response: z.string().nullable(),
  deliveryId: Uuid,
}).openapi('ChannelTestOutcome');

/** server/notifications/list-deliveries.ts, toDeliveryDto. */
export const Delivery = z.object({
  id: Uuid,
  event: z.string(),
  eventKey: z.string(),
  summary: z.string(),
  link: z.string().nullable(),
  source: Json,
  status: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  lastResponse: z.string().nullable(),
  createdAt: IsoDateTime,
  sentAt: IsoDateTime.nullable(),
}).openapi('Delivery');

export const DeliveryPage = z.object({ items: z.array(Delivery), nextBefore: IsoDateTime.nullable() }).openapi('DeliveryPage');
