import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';

const ChannelId = z.string().uuid();

/**
 * Deletes a channel and its delivery log (the rows cascade); jobs still queued for its deliveries find nothing to
 * claim. Audited (`notification-channel.delete`) with its name, kind and how many deliveries went with it.
 */
export async function deleteChannel(ctx: VerbContext, rawId: unknown): Promise<{ id: string; name: string; deliveriesDeleted: number }> {
  const { actor } = ctx;
  authorize(actor, 'notification:write');
  const id = ChannelId.safeParse(rawId);
  if (!id.success) throw notFound('notification channel', String(rawId));
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ id: string; name: string; kind: string }>>`
      SELECT id, name, kind FROM "NotificationChannel" WHERE id = ${id.data}::uuid FOR UPDATE`;
    if (!row) throw notFound('notification channel', id.data);
    const deliveries = await tx.notificationDelivery.count({ where: { channelId: row.id } });
    await tx.notificationChannel.delete({ where: { id: row.id } });
    await recordAudit(tx, actor, {
      action: 'notification-channel.delete',
      targetType: 'notification_channel',
      targetId: row.id,
      details: { name: row.name, kind: row.kind, deliveriesDeleted: deliveries },
    });
    return { id: row.id, name: row.name, deliveriesDeleted: deliveries };
  });
}
