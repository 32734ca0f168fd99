import { z } from 'zod';

/**
 * The notification events a channel can subscribe to. The names are part of the API (`events` of a channel, `event`
 * of every message) and documented in docs/API.md ("Notifications"); each is projected from the audit trail, the
 * missed slots or the SLO figures (project-audit.ts, scan.ts).
 */
export const NOTIFICATION_EVENTS = [
  'backup.failed',
  'backup.succeeded',
  'slot.missed',
  'rpo.at-risk',
  'rpo.breached',
  'verification.failed',
  'restore.requested',
  'restore.approved',
  'restore.rejected',
  'restore.break-glass',
  'restore.finished',
  'audit.chain-broken',
] as const;
export type NotificationEventName = (typeof NOTIFICATION_EVENTS)[number];
export const NotificationEventName = z.enum(NOTIFICATION_EVENTS);

/** What `POST …/{id}/test` sends: not subscribable, always allowed. */
export const TEST_EVENT = 'test';

/** What a channel receives: the webhook's JSON body as is, the Slack text and the mail are made from it. */
export interface NotificationPayload {
  /** Stable per event (the delivery's event key): a receiver that sees it twice (at-least-once) can drop the copy. */
  id: string;
  event: NotificationEventName | typeof TEST_EVENT;
  /** When it happened (ISO 8601): the audit event's time, the slot's, or the evaluation's. */
  at: string;
  /** One line for people. */
  summary: string;
  source: { id: string; name: string } | null;
  runId: string | null;
  restoreRequestId: string | null;
  /** Where to look in the console: LIFEBOAT_PUBLIC_URL (or NEXTAUTH_URL) + the page's path. */
  link: string;
  /** A few event-specific facts (status, error, counts); never secrets. */
  details: Record<string, unknown>;
}

/** How the mail subject and the Slack line start: the event in words. */
export const EVENT_TITLES: Record<NotificationPayload['event'], string> = {
  'backup.failed': 'Backup failed',
  'backup.succeeded': 'Backup succeeded',
  'slot.missed': 'Scheduled slot missed',
  'rpo.at-risk': 'RPO at risk',
  'rpo.breached': 'RPO breached',
  'verification.failed': 'Verification failed',
  'restore.requested': 'Restore requested',
  'restore.approved': 'Restore approved',
  'restore.rejected': 'Restore rejected',
  'restore.break-glass': 'Break-glass restore',
  'restore.finished': 'Restore finished',
  'audit.chain-broken': 'Audit trail does not verify',
  test: 'Test notification',
};
