import type { Metadata } from 'next';
import { ApiReference } from '@/components/api-docs/api-reference';

export const metadata: Metadata = { title: 'API reference' };

/** The interactive reference of /api/v1, rendered from GET /api/v1/openapi.json in the browser. */
export default function Page() {
  return (
    <main className="container">
      <ApiReference />
    </main>
  );
}
