import type { Metadata } from 'next';
import Link from 'next/link';
import { LifeboatMark } from '@/components/ui/logo';

export const metadata: Metadata = { title: 'Page not found' };

/**
 * Every unknown address, inside the console or not: the console's bar and a way back. No session is read here, so
 * it shows no navigation that a signed-out visitor could not use.
 */
export default function NotFound() {
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/overview" className="brand" aria-label="Lifeboat home">
            <LifeboatMark />
            <span>Lifeboat</span>
          </Link>
        </div>
      </header>
      <main className="container">
        <section className="card not-found" data-testid="not-found">
          <p className="not-found-code">404</p>
          <h1>Page not found</h1>
          <p className="muted">Nothing lives at this address. It may have been mistyped, or what it showed was deleted.</p>
          <p className="not-found-actions">
            <Link href="/overview" className="btn btn-primary">
              Go to the overview
            </Link>
            <Link href="/sources" className="btn">
              Sources
            </Link>
          </p>
        </section>
      </main>
    </>
  );
}
