import type { Metadata } from 'next';
import { AUDIT_ACTIONS } from '@/server/audit';
import { AuditPage } from '@/components/audit/audit-page';

export const metadata: Metadata = { title: 'Audit trail' };

/** `/audit?event=<id>` opens the list at that event with its details shown (the verify panel links there). */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { event } = await searchParams;
  const eventId = typeof event === 'string' && /^[1-9]\d{0,18}$/.test(event) ? event : undefined;
  return <AuditPage actions={AUDIT_ACTIONS} initialEventId={eventId} />;
}
