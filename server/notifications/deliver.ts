import { enqueueNotification } from '@/server/jobs/producer';
import { db } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import type { NotificationPayload } from './events';
import { notifyEnv } from './notify-env';
import { sendToChannel } from './send-to-channel';

export type DeliveryResult = 'sent' | 'retrying' | 'failed' | 'stale';

/** The wait before attempt `n + 1` after `n` failed ones: backoff × 2^(n-1) (5, 10, 20, 40 s by default). */
export const retryDelayMs = (failedAttempts: number, backoffMs = notifyEnv().LIFEBOAT_NOTIFY_BACKOFF_MS): number =>
  backoffMs * 2 ** Math.max(0, failedAttempts - 1);

/**
 * One attempt at a delivery (`notify.deliver { deliveryId, attempt }`). The row is the truth: the attempt is claimed
 * with a conditional update (PENDING and `attempts = attempt` → `attempts + 1`), so a duplicate or stale job finds
 * nothing and sends nothing. Then the channel's kind sends; SENT, or the error recorded and, with attempts left
 * and a failure a retry may fix, the next attempt enqueued with exponential backoff; else FAILED. At least once: a
 * worker that dies after sending but before recording leaves the row PENDING, and the sweep sends it again (the
 * payload's `id` lets a receiver drop the copy).
 */
export async function deliverNotification(deliveryId: string, attempt: number): Promise<DeliveryResult> {
  const { LIFEBOAT_NOTIFY_ATTEMPTS: maxAttempts } = notifyEnv();
  const [claimed] = await db().notificationDelivery.updateManyAndReturn({
    where: { id: deliveryId, status: 'PENDING', attempts: attempt },
    data: { attempts: { increment: 1 } },
    select: { id: true, attempts: true, payload: true, channelId: true },
  });
  if (!claimed) return 'stale';
  const channel = await db().notificationChannel.findUnique({ where: { id: claimed.channelId } });
  const outcome = !channel
    ? { ok: false, response: null, error: 'the channel was deleted', permanent: true }
    : !channel.enabled
      ? { ok: false, response: null, error: 'the channel was disabled before this was sent', permanent: true }
      : await sendToChannel(channel, claimed.payload as unknown as NotificationPayload);
  const now = new Date();
  const final = outcome.ok || outcome.permanent || claimed.attempts >= maxAttempts;
  const status = outcome.ok ? 'SENT' : final ? 'FAILED' : 'PENDING';
  await db().$transaction(async (tx) => {
    // Only this claim may record its outcome (attempts unchanged since the claim).
    const moved = await tx.notificationDelivery.updateMany({
      where: { id: claimed.id, status: 'PENDING', attempts: claimed.attempts },
      data: { status, lastError: outcome.ok ? null : outcome.error, lastResponse: outcome.response, sentAt: outcome.ok ? now : undefined },
    });
    if (moved.count === 0 || !channel) return;
    await tx.notificationChannel.updateMany({
      where: { id: channel.id },
      data: outcome.ok ? { lastDeliveryAt: now, lastError: null } : { lastError: outcome.error },
    });
  });
  if (outcome.ok) return 'sent';
  if (final) {
    logger.warn({ deliveryId, channelId: claimed.channelId, attempts: claimed.attempts, error: outcome.error }, 'notification delivery failed for good');
    return 'failed';
  }
  const delay = retryDelayMs(claimed.attempts);
  logger.info({ deliveryId, attempts: claimed.attempts, retryInMs: delay, error: outcome.error }, 'notification delivery failed; retrying');
  // A lost enqueue is picked up by the sweep (retry-deliveries.ts), under the same job id.
  await enqueueNotification(claimed.id, claimed.attempts, delay).catch((e: unknown) =>
    logger.warn({ err: e, deliveryId }, 'could not enqueue the next delivery attempt; the sweep will'),
  );
  return 'retrying';
}
