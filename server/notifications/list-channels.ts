import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { toChannelDto } from './channel-dto';

const ChannelId = z.string().uuid();

/** Every notification channel, by name, with its last delivery's status (never a secret). */
export async function listChannels(ctx: VerbContext) {
  authorize(ctx.actor, 'notification:read');
  const rows = await readerOf(ctx).notificationChannel.findMany({
    orderBy: { name: 'asc' },
    include: { deliveries: { orderBy: { createdAt: 'desc' }, take: 1, select: { status: true, event: true, createdAt: true } } },
  });
  return rows.map(({ deliveries, ...c }) => ({
    ...toChannelDto(c),
    lastDelivery: deliveries[0] ? { status: deliveries[0].status, event: deliveries[0].event, at: deliveries[0].createdAt.toISOString() } : null,
  }));
}
export type ChannelListItem = Awaited<ReturnType<typeof listChannels>>[number];

export async function getChannel(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'notification:read');
  const id = ChannelId.safeParse(rawId);
  if (!id.success) throw notFound('notification channel', String(rawId));
  const row = await readerOf(ctx).notificationChannel.findUnique({ where: { id: id.data } });
  if (!row) throw notFound('notification channel', id.data);
  return toChannelDto(row);
}
