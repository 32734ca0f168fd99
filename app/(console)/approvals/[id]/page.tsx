import type { Metadata } from 'next';
import { RequestDetail } from '@/components/approvals/request-detail';

export const metadata: Metadata = { title: 'Restore request' };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RequestDetail id={id} />;
}
