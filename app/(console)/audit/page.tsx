import type { Metadata } from 'next';
import { AUDIT_ACTIONS } from '@/server/audit';
import { AuditPage } from '@/components/audit/audit-page';

export const metadata: Metadata = { title: 'Audit trail' };

/**
 * `/audit?event=<id>` opens the list at that event with its details shown (the verify panel links there);
 * `?actor=&action=&targetType=&targetId=` start with those filters (a restore request links to its own events).
 */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const { event } = params;
  const eventId = typeof event === 'string' && /^[1-9]\d{0,18}$/.test(event) ? event : undefined;
  // Only short, plain text is taken over; the API parses the filters again when they are used.
  const text = (v: string | string[] | undefined) => (typeof v === 'string' && v.length <= 200 && ![...v].some((c) => c.charCodeAt(0) < 0x20) ? v : '');
  const initialFilter = { actor: text(params.actor), action: text(params.action), targetType: text(params.targetType), targetId: text(params.targetId) };
  return <AuditPage actions={AUDIT_ACTIONS} initialEventId={eventId} initialFilter={initialFilter} />;
}
