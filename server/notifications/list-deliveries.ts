import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { IsoDateTimeInRange } from '@/server/shared/bounded-date';
import { notFound } from '@/server/shared/errors';

const ChannelId = z.string().uuid();

export const ListDeliveriesQuery = z.strictObject({
  // 50 a page: the log of a busy channel for a day or so; the page asks for more with `before`.
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `createdAt` of the last delivery of the previous page (ISO): the next page holds older ones. */
  before: IsoDateTimeInRange.optional(),
  status: z.enum(['PENDING', 'SENT', 'FAILED']).optional(),
});

/** A delivery as the log shows it: what was sent (summary, link), its status, attempts and last error or answer. */
function toDeliveryDto(d: {
  id: string;
  event: string;
  eventKey: string;
  payload: unknown;
  status: string;
  attempts: number;
  lastError: string | null;
  lastResponse: string | null;
  createdAt: Date;
  sentAt: Date | null;
}) {
  const payload = (d.payload ?? {}) as { summary?: unknown; link?: unknown; source?: unknown };
  return {
    id: d.id,
    event: d.event,
    eventKey: d.eventKey,
    summary: typeof payload.summary === 'string' ? payload.summary : '',
    link: typeof payload.link === 'string' ? payload.link : null,
    source: payload.source ?? null,
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    lastResponse: d.lastResponse,
    createdAt: d.createdAt.toISOString(),
    sentAt: d.sentAt?.toISOString() ?? null,
  };
}
export type DeliveryDto = ReturnType<typeof toDeliveryDto>;

/** `GET /notification-channels/{id}/deliveries`: the channel's delivery log, newest first. */
/** Where a page starts when the route pages by cursor: after this delivery (newest first, ties by id). */
export interface DeliveryAfter {
  createdAt: string;
  id: string;
}

export async function listDeliveries(ctx: VerbContext, rawId: unknown, rawQuery: unknown = {}, after: DeliveryAfter | null = null) {
  authorize(ctx.actor, 'notification:read');
  const id = ChannelId.safeParse(rawId);
  if (!id.success) throw notFound('notification channel', String(rawId));
  const query = ListDeliveriesQuery.parse(rawQuery);
  const reader = readerOf(ctx);
  const channel = await reader.notificationChannel.findUnique({ where: { id: id.data }, select: { id: true } });
  if (!channel) throw notFound('notification channel', id.data);
  const rows = await reader.notificationDelivery.findMany({
    where: {
      channelId: id.data,
      ...(query.status ? { status: query.status } : {}),
      ...(query.before ? { createdAt: { lt: new Date(query.before) } } : {}),
      ...(after ? { OR: [{ createdAt: { lt: new Date(after.createdAt) } }, { createdAt: new Date(after.createdAt), id: { lt: after.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit,
  });
  const items = rows.map(toDeliveryDto);
  const last = rows.length === query.limit ? items[items.length - 1]! : null;
  return { items, nextBefore: last?.createdAt ?? null, nextAfter: last ? { createdAt: last.createdAt, id: last.id } : null };
}
