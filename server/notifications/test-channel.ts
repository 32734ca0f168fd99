import crypto from 'node:crypto';
import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { TEST_EVENT, type NotificationPayload } from './events';
import type { Lookup } from './outbound/safe-address';
import { linkTo } from './notify-env';
import { sendToChannel } from './send-to-channel';

const ChannelId = z.string().uuid();

export interface TestOutcome {
  ok: boolean;
  status: 'SENT' | 'FAILED';
  error: string | null;
  response: string | null;
  deliveryId: string;
}

/**
 * `POST /notification-channels/{id}/test`: sends a test message through the channel now, with the same guard and
 * signing as every delivery, and answers what came of it (a refusal or a receiver's error is an outcome, 200, not an
 * API error). Recorded like a delivery (event `test`, in the log) and audited (`notification-channel.test`, result
 * `ok` or `failed`) in one transaction after the send. A disabled channel can be tested: that is how it is checked
 * before it is enabled.
 */
export async function testChannel(ctx: VerbContext, rawId: unknown, opts: { lookup?: Lookup } = {}): Promise<TestOutcome> {
  const { actor } = ctx;
  authorize(actor, 'notification:write');
  const id = ChannelId.safeParse(rawId);
  if (!id.success) throw notFound('notification channel', String(rawId));
  const channel = await readerOf(ctx).notificationChannel.findUnique({ where: { id: id.data } });
  if (!channel) throw notFound('notification channel', id.data);
  const deliveryId = crypto.randomUUID();
  const payload: NotificationPayload = {
    id: `${TEST_EVENT}:${deliveryId}`,
    event: TEST_EVENT,
    at: new Date().toISOString(),
    summary: `Test notification from Lifeboat for channel "${channel.name}", sent by ${actor.label}`,
    source: null,
    runId: null,
    restoreRequestId: null,
    link: linkTo('/notifications'),
    details: { channel: channel.name },
  };
  const outcome = await sendToChannel(channel, payload, { lookup: opts.lookup });
  const now = new Date();
  await withTransaction(ctx, async (tx) => {
    await tx.notificationDelivery.create({
      data: {
        id: deliveryId,
        channelId: channel.id,
        event: TEST_EVENT,
        eventKey: payload.id,
        payload: payload as unknown as object,
        status: outcome.ok ? 'SENT' : 'FAILED',
        attempts: 1,
        lastError: outcome.error,
        lastResponse: outcome.response,
        sentAt: outcome.ok ? now : null,
      },
    });
    await tx.notificationChannel.update({
      where: { id: channel.id },
      data: outcome.ok ? { lastDeliveryAt: now, lastError: null } : { lastError: outcome.error },
    });
    await recordAudit(tx, actor, {
      action: 'notification-channel.test',
      targetType: 'notification_channel',
      targetId: channel.id,
      result: outcome.ok ? 'ok' : 'failed',
      details: { name: channel.name, kind: channel.kind, deliveryId, error: outcome.error, response: outcome.response },
    });
  });
  return { ok: outcome.ok, status: outcome.ok ? 'SENT' : 'FAILED', error: outcome.error, response: outcome.response, deliveryId };
}
