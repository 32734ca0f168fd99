import type { Metadata } from 'next';
import { SourcesPage } from '@/components/sources/sources-table';

export const metadata: Metadata = { title: 'Sources' };

export default function Page() {
  return <SourcesPage />;
}
