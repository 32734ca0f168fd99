import type { Metadata } from 'next';
import { NewSourceForm } from '@/components/sources/new-source-form';

export const metadata: Metadata = { title: 'Add source' };

export default function Page() {
  return <NewSourceForm />;
}
