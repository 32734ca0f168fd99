'use client';

import { useQuery } from '@tanstack/react-query';
import { api } from '@/components/api/client';
import type { ChannelDto, ChannelListItem, DeliveryDto, TestOutcome } from '@/server/notifications';

/** `GET /notification-channels`: each channel with its last delivery; never a secret (sealed ones show "(sealed)"). */
export type Channel = ChannelListItem;
export type Delivery = DeliveryDto;
export type { ChannelDto, TestOutcome };

export const notificationKeys = {
  channels: ['notification-channels'] as const,
  deliveries: (id: string) => ['notification-channels', id, 'deliveries'] as const,
};

export function useChannels() {
  return useQuery({
    queryKey: notificationKeys.channels,
    queryFn: ({ signal }) => api<{ items: Channel[] }>('/notification-channels', { signal }).then((r) => r.items),
  });
}

/** A channel's delivery log, newest first; refreshed every few seconds while shown (retries land on their own). */
export function useDeliveries(channelId: string) {
  return useQuery({
    queryKey: notificationKeys.deliveries(channelId),
    queryFn: ({ signal }) => api<{ items: Delivery[]; nextBefore: string | null }>(`/notification-channels/${encodeURIComponent(channelId)}/deliveries?limit=50`, { signal }),
    refetchInterval: 5_000,
  });
}

/** The events a channel can subscribe to, in words (the names are the API's). */
export const EVENT_CHOICES: ReadonlyArray<{ event: string; label: string }> = [
  { event: 'backup.failed', label: 'Backup failed' },
  { event: 'backup.succeeded', label: 'Backup succeeded' },
  { event: 'slot.missed', label: 'Scheduled slot missed' },
  { event: 'rpo.at-risk', label: 'RPO at risk' },
  { event: 'rpo.breached', label: 'RPO breached' },
  { event: 'verification.failed', label: 'Verification failed' },
  { event: 'restore.requested', label: 'Restore requested' },
  { event: 'restore.approved', label: 'Restore approved' },
  { event: 'restore.rejected', label: 'Restore rejected' },
  { event: 'restore.break-glass', label: 'Break-glass restore' },
  { event: 'restore.finished', label: 'Restore finished' },
  { event: 'audit.chain-broken', label: 'Audit trail does not verify' },
];
